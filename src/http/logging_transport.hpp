#pragma once
// Decorator: one debug line per request: method, URL path (no query), status
// or error, duration, bytes, correlation id. Never header values or bodies.
#include "base/clock.hpp"
#include "http/transport.hpp"

namespace gb::http {

// Thread-safe if `inner` is. Both must outlive it.
class LoggingTransport final : public Transport {
 public:
  LoggingTransport(Transport& inner, const Clock& clock) : inner_(inner), clock_(clock) {}
  Result<Response> send(const Request& request, const BodySink* sink = nullptr) override;

 private:
  Transport& inner_;
  const Clock& clock_;
};

}  // namespace gb::http
