#pragma once
// Decorator: every request waits for the process-wide rate budget, and every
// response's rate-limit headers are fed back to it.
#include "http/transport.hpp"
#include "resilience/rate_limiter.hpp"

namespace gb::http {

// Reads inin-ratelimit-allowed/-count/-reset and X-RateLimit-Remaining
// (the lower remaining wins when both are present). A 429 with a valid
// Retry-After (or inin-ratelimit-reset) means the budget is spent:
// remaining 0 until then.
resilience::RateSignal rate_signal(const Response& response);

// Thread-safe if `inner` and `budget` are. Both must outlive it.
class RateLimitedTransport final : public Transport {
 public:
  RateLimitedTransport(Transport& inner, resilience::RateBudget& budget) : inner_(inner), budget_(budget) {}
  Result<Response> send(const Request& request, const BodySink* sink = nullptr) override;

 private:
  Transport& inner_;
  resilience::RateBudget& budget_;
};

}  // namespace gb::http
