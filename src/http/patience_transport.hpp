#pragma once
// Decorator: tells the run's Patience how every call ended, so that it knows
// when an outage began. A 408/429/502/503/504 status, or no answer at all
// (refused, reset, timed out: a transient Error without a status) is a
// failure. Any other status is an answer and ends the outage, even when its
// body was then cut short: the API is up, and the retry loop's attempts
// bound such failures. A permanent Error without a status (a bad URL, a
// refused certificate) says nothing either way.
#include "http/transport.hpp"
#include "resilience/patience.hpp"

namespace gb::http {

// Thread-safe if `inner` is. Both must outlive it.
class PatienceTransport final : public Transport {
 public:
  PatienceTransport(Transport& inner, resilience::Patience& patience) : inner_(inner), patience_(patience) {}
  Result<Response> send(const Request& request, const BodySink* sink = nullptr) override;

 private:
  Transport& inner_;
  resilience::Patience& patience_;
};

}  // namespace gb::http
