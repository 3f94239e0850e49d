#include "http/circuit_breaker_transport.hpp"

#include <fmt/format.h>

#include "base/stop.hpp"
#include "http/status.hpp"

namespace gb::http {
namespace {

// While a probe is in flight the breaker reports no time left; callers then
// wait this long before trying again rather than spinning.
constexpr std::chrono::milliseconds kProbeWait{1000};

bool overload(int status) {
  return status == 429 || status == 503;
}

}  // namespace

Result<Response> CircuitBreakerTransport::send(const Request& request, const BodySink* sink) {
  if (!breaker_.allow()) {
    // Stopping: waiting for the breaker to close would only spin the retry loops.
    if (process_stop().requested()) return interrupted_error(request.method + ": API calls paused; interrupted");
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(breaker_.remaining_open());
    Error refused = transient_error(
        fmt::format("circuit breaker {}: API calls paused after repeated 429/503", to_string(breaker_.state())));
    refused.retry_after = left > std::chrono::milliseconds::zero() ? left : kProbeWait;
    refused.not_sent = true;
    return refused;
  }
  auto result = inner_.send(request, sink);
  if (!result.ok()) {
    const int status = result.error().http_status;
    breaker_.report(overload(status) ? resilience::Outcome::kOverload : resilience::Outcome::kNeutral,
                    result.error().retry_after);
  } else if (overload(result->status)) {
    breaker_.report(resilience::Outcome::kOverload, retry_after(*result));
  } else if (result->status >= 500) {
    breaker_.report(resilience::Outcome::kNeutral);
  } else {
    breaker_.report(resilience::Outcome::kSuccess);
  }
  return result;
}

}  // namespace gb::http
