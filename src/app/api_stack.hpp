#pragma once
// The HTTP stack every API call of the process goes through, built once.
#include <functional>
#include <memory>

#include "api/jobs_api.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "config/settings.hpp"
#include "resilience/circuit_breaker.hpp"
#include "resilience/patience.hpp"

namespace gb::app {

// Owns, in build order: curl -> logging -> patience -> rate budget -> circuit
// breaker -> bearer token, plus the token cache (its logins share the rate
// budget) and the JobsApi on top. Why this order: a call refused by an open
// breaker spends no rate budget; a 401 retried by the token layer passes the
// breaker and the budget again, so every request that really goes out is
// counted; and the run's Patience hears how every request that went out
// ended, logins included (settings.retry.max_outage).
// Thread-safe once built; clock and sleeper must outlive it.
class ApiStack {
 public:
  // settings.hosts resolved (api::resolve_hosts) and settings.credentials
  // filled; kInvalidInput on a bad host setting.
  // compress = false asks for identity bodies (http::CurlSettings::compression).
  // on_breaker_change is told of every circuit breaker state change.
  static Result<std::unique_ptr<ApiStack>> build(
      const config::Settings& settings, const Clock& clock, Sleeper& sleeper, bool compress = true,
      std::function<void(resilience::BreakerState, const char* why)> on_breaker_change = {});
  ~ApiStack();
  ApiStack(const ApiStack&) = delete;
  ApiStack& operator=(const ApiStack&) = delete;

  api::JobsApi& jobs() const;
  // The run's patience: hand it to the pipeline, whose retries consult it.
  resilience::Patience& patience() const;
  resilience::BreakerState breaker_state() const;

 private:
  struct Parts;
  explicit ApiStack(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace gb::app
