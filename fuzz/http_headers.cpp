// Fuzzes what a response's status, headers and error body decide:
// http::retry_after (Retry-After as seconds or an HTTP-date, measured against
// the Date header; inin-ratelimit-reset on a 429), http::rate_signal
// (inin-ratelimit-allowed/-count/-reset, X-RateLimit-Remaining) and the rate
// limiter that consumes it, and http::error_from_response (the API's error
// body).
//
// Input: an HTTP response head as it arrives, then the body:
//   "429\r\nRetry-After: 120\r\nDate: ...\r\n\r\n{\"code\":...}"
// (the first number on the first line is the status; then "Name: value"
// lines up to an empty line).
// Checks: no waiting time is negative; header names match whatever their
// case; the error's kind follows the status; its message is bounded and
// holds no control characters; the limiter takes any signal.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/rate_limited_transport.hpp"
#include "http/status.hpp"
#include "resilience/rate_limiter.hpp"

namespace {

using namespace std::chrono_literals;

void check(bool condition) {
  if (!condition) std::abort();
}

// A clock that stands still, and a sleeper that never sleeps: observe() only.
class StillClock final : public gb::Clock, public gb::Sleeper {
 public:
  gb::SteadyTime now() const override { return gb::SteadyTime(std::chrono::hours(1000)); }
  void sleep_for(gb::Duration) override {}
};

std::string_view next_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

gb::http::Response parse_response(std::string_view text) {
  gb::http::Response response;
  const std::string_view status_line = next_line(text);
  const std::size_t digit = status_line.find_first_of("0123456789");
  for (std::size_t i = digit; i != std::string_view::npos && i < status_line.size() && i < digit + 3; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') break;
    response.status = response.status * 10 + (status_line[i] - '0');
  }
  while (!text.empty()) {
    const std::string_view line = next_line(text);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  response.body = std::string(text);
  return response;
}

bool same(const gb::resilience::RateSignal& a, const gb::resilience::RateSignal& b) {
  return a.remaining == b.remaining && a.reset == b.reset;
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gb::http::Response response = parse_response(std::string_view(reinterpret_cast<const char*>(data), size));
  // 2026-01-01T00:00:00Z: a fixed "now" keeps every run reproducible.
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'767'225'600)};

  const auto wait = gb::http::retry_after(response, now);
  if (wait) check(*wait >= 0ms);
  const auto signal = gb::http::rate_signal(response);
  if (signal.remaining) check(*signal.remaining >= 0);
  if (signal.reset) check(*signal.reset >= 0ms);

  // Header names are case-insensitive.
  gb::http::Response upper = response;
  for (auto& [name, value] : upper.headers) {
    for (char& c : name) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
  }
  check(gb::http::retry_after(upper, now) == wait);
  check(same(gb::http::rate_signal(upper), signal));

  StillClock clock;
  gb::resilience::LocalRateLimiter limiter({}, clock, clock);
  limiter.observe(signal);
  check(limiter.in_window() == 0);

  const gb::Error error = gb::http::error_from_response(response, "fuzz");
  check(error.http_status == response.status);
  if (gb::http::is_transient_status(response.status)) {
    check(error.kind == gb::ErrorKind::kTransient);
  } else {
    check(error.kind == (response.status == 401 ? gb::ErrorKind::kUnauthorized : gb::ErrorKind::kPermanent));
    check(!error.retry_after);
  }
  check(!error.message.empty() && error.message.size() <= 1000);
  for (const char c : error.message) check(static_cast<unsigned char>(c) >= 0x20);
  return 0;
}
