#pragma once
// Decorator: refuses calls while the breaker is open (a transient error whose
// retry_after is the time left, so the retry loop waits it out), and reports
// every outcome to the breaker: 429/503 are overload, other 5xx and
// connection failures are neutral, anything else is success.
#include "http/transport.hpp"
#include "resilience/circuit_breaker.hpp"

namespace gb::http {

// Thread-safe if `inner` is. Both must outlive it.
class CircuitBreakerTransport final : public Transport {
 public:
  CircuitBreakerTransport(Transport& inner, resilience::CircuitBreaker& breaker) : inner_(inner), breaker_(breaker) {}
  Result<Response> send(const Request& request, const BodySink* sink = nullptr) override;

 private:
  Transport& inner_;
  resilience::CircuitBreaker& breaker_;
};

}  // namespace gb::http
