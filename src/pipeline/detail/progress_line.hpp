#pragma once
// One job's progress as one line of text that fits a given width: what the
// terminal display draws and what the plain log lines print. Pure functions
// of their inputs (the tests render at any width and time they like).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"

namespace gb::pipeline::detail {

// What one line shows.
struct LineView {
  enum class Phase { kStarting, kWaiting, kTransferring, kDone, kIncomplete };
  Phase phase = Phase::kStarting;
  std::string type;                   // "bulk:users", "conversations"
  std::string job_id;                 // already shortened (shorten_ids)
  std::string state;                  // the API's, while waiting (untrusted: sanitised here)
  Duration waited{};                  // since the job started, while waiting
  std::optional<Duration> next_poll;  // until the next status request, when known
  const char* unit = "chunks";        // "chunks" or "pages"
  bool total_known = false;           // false: a spinner with counts instead of a bar
  std::uint64_t total = 0;
  std::uint64_t done = 0;  // landed, in this run or an earlier one
  std::uint64_t failed = 0;
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
  double bytes_per_second = 0;
  Duration elapsed{};    // since the transfer started
  unsigned spinner = 0;  // frame number; any value
};

// The line, at most `width` columns (printable ASCII only, so one byte is one
// column); width 0 means no limit. Less important parts are shortened or
// left out first: the bar shrinks, words shorten, then rate, bytes, records.
std::string render_line(const LineView& view, int width);

// 999, 1.2k, 12k, 123k, 1.2M, ... (always at most 4 characters).
std::string compact_count(std::uint64_t n);
// 512 B, 12 kB, 1.2 MB, 340 MB, 1.2 GB (decimal units, as MB/s elsewhere).
std::string compact_bytes(double bytes);
// 9s, 12s, 3m04s, 1h02m.
std::string short_duration(Duration d);

// Each id cut to the shortest prefix of at least `min_length` characters that
// no other id of `ids` shares, as git shortens hashes (equal ids stay equal).
std::vector<std::string> shorten_ids(const std::vector<std::string>& ids, std::size_t min_length = 7);

// `text` with anything but printable ASCII replaced by '?', cut to `max` characters.
std::string printable(std::string_view text, std::size_t max);

}  // namespace gb::pipeline::detail
