#include "worker/detail/iso_time.hpp"

#include <fmt/format.h>

#include "celery/iso_time.hpp"

namespace gb::worker::detail {

std::string format_utc_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto midnight = floor<days>(ms);
  const year_month_day ymd{midnight};
  const hh_mm_ss hms{ms - midnight};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

std::optional<std::chrono::system_clock::time_point> parse_utc_ms(std::string_view text) {
  auto parsed = celery::parse_iso_time(text);
  if (!parsed.ok()) return std::nullopt;
  return parsed->at;
}

}  // namespace gb::worker::detail
