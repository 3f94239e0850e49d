#include "http/rate_limited_transport.hpp"

#include <algorithm>
#include <charconv>

#include "http/status.hpp"

namespace gb::http {
namespace {

// Seconds to a window's reset beyond this are nonsense (and would overflow
// once counted in milliseconds): such a header is ignored, like a bad
// Retry-After.
constexpr std::int64_t kMaxResetSeconds = std::int64_t{7} * 24 * 3600;

std::optional<std::int64_t> header_int(const Response& response, std::string_view name) {
  auto value = response.header(name);
  if (!value) return std::nullopt;
  std::int64_t out = 0;
  const auto* end = value->data() + value->size();
  auto [p, ec] = std::from_chars(value->data(), end, out);
  if (ec != std::errc() || p != end) return std::nullopt;
  return out;
}

}  // namespace

resilience::RateSignal rate_signal(const Response& response) {
  resilience::RateSignal signal;
  const auto allowed = header_int(response, "inin-ratelimit-allowed");
  const auto count = header_int(response, "inin-ratelimit-count");
  if (allowed && count) signal.remaining = std::max<std::int64_t>(0, *allowed - *count);
  if (auto remaining = header_int(response, "X-RateLimit-Remaining")) {
    const std::int64_t r = std::max<std::int64_t>(0, *remaining);
    signal.remaining = signal.remaining ? std::min(*signal.remaining, r) : r;
  }
  if (auto reset = header_int(response, "inin-ratelimit-reset"); reset && *reset >= 0 && *reset <= kMaxResetSeconds) {
    signal.reset = std::chrono::seconds(*reset);
  }
  // A 429 with a valid wait spends the budget until then; without one (or
  // with an invalid Retry-After, which RFC 9110 says to ignore) the retry
  // loop's backoff applies and the headers above say what they say.
  if (response.status == 429) {
    if (auto wait = retry_after(response)) {
      signal.remaining = 0;
      signal.reset = *wait;
    }
  }
  return signal;
}

Result<Response> RateLimitedTransport::send(const Request& request, const BodySink* sink) {
  if (auto granted = budget_.acquire(request.limits); !granted.ok()) return std::move(granted).error();
  auto result = inner_.send(request, sink);
  if (result.ok()) budget_.observe(rate_signal(*result));
  return result;
}

}  // namespace gb::http
