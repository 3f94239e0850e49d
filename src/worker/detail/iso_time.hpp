#pragma once
// UTC timestamps as the dead letters write them: "2026-12-01T23:05:07.123Z".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gb::worker::detail {

std::string format_utc_ms(std::chrono::system_clock::time_point t);
// Reads what format_utc_ms writes, and any other ISO 8601 time Celery's
// parser reads (celery/iso_time.hpp); nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> parse_utc_ms(std::string_view text);

}  // namespace gb::worker::detail
