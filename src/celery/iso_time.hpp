#pragma once
// ISO 8601 times as Celery writes them: the eta and expires headers
// (Python's datetime.isoformat() of an aware datetime, "2026-12-01T23:05:07.123456+00:00")
// and a result's date_done (datetime.utcnow().isoformat(): naive, UTC).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::celery {

struct IsoTime {
  std::chrono::system_clock::time_point at;    // the instant
  std::optional<std::chrono::minutes> offset;  // as written; nullopt: none written (read as UTC)

  friend bool operator==(const IsoTime&, const IsoTime&) = default;
};

// Accepts what Celery's parser (celery/utils/iso8601.py) accepts, a little
// stricter: YYYY-MM-DD, optionally followed by 'T' or ' ', HH:MM[:SS[.f]]
// (1-9 fraction digits) and Z or +HH:MM (or +HHMM). A time without an offset
// is taken as UTC (Celery would take the worker's local zone; our workers
// run in UTC). Years 1678-2261 only (what system_clock's nanoseconds hold;
// Python allows 1-9999). Errors (kInvalidInput) quote at most 64 characters
// of the input.
Result<IsoTime> parse_iso_time(std::string_view text);

// As Python's datetime.isoformat(): microseconds only when not zero, the
// offset as +HH:MM when there is one. Sub-microsecond precision is dropped
// (floored), as Python has none.
std::string format_iso_time(const IsoTime& time);

// An aware time in UTC ("+00:00"), as Celery's producer writes eta/expires.
inline IsoTime utc_time(std::chrono::system_clock::time_point at) {
  return IsoTime{at, std::chrono::minutes{0}};
}

}  // namespace gb::celery
