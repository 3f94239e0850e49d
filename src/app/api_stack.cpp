#include "app/api_stack.hpp"

#include "api/authenticating_transport.hpp"
#include "api/genesys_jobs_api.hpp"
#include "api/regions.hpp"
#include "api/token_cache.hpp"
#include "http/circuit_breaker_transport.hpp"
#include "http/curl_transport.hpp"
#include "http/logging_transport.hpp"
#include "http/patience_transport.hpp"
#include "http/rate_limited_transport.hpp"
#include "resilience/rate_limiter.hpp"

namespace gb::app {

struct ApiStack::Parts {
  Parts(const config::Settings& s, const api::ApiHosts& hosts, const Clock& clock, Sleeper& sleeper, bool compress,
        std::function<void(resilience::BreakerState, const char*)> on_breaker_change)
      : patience(s.retry.max_outage, clock),
        curl(curl_settings(s, compress)),
        logged(curl, clock),
        watched(logged, patience),
        limiter(limiter_settings(s), clock, sleeper),
        limited(watched, limiter),
        breaker(breaker_settings(s, std::move(on_breaker_change)), clock),
        guarded(limited, breaker),
        tokens(limited, token_options(s, hosts), clock),
        authed(guarded, tokens),
        jobs(authed, jobs_options(s, hosts)) {}

  static http::CurlSettings curl_settings(const config::Settings& s, bool compress) {
    http::CurlSettings c;
    c.compression = compress;
    c.connect_timeout = s.http.connect_timeout;
    c.low_speed_limit = static_cast<long>(s.http.low_speed_bytes);
    c.low_speed_time = s.http.low_speed_time;
    c.default_timeout = s.http.download_timeout;
    c.max_streamed_body_bytes = s.http.max_response_bytes;
    return c;
  }
  static resilience::RateLimiterSettings limiter_settings(const config::Settings& s) {
    resilience::RateLimiterSettings r;
    r.requests_per_window = s.rate.requests;
    r.window = s.rate.window;
    r.slow_down_below = s.rate.low_remaining;
    return r;
  }
  static resilience::CircuitBreakerSettings breaker_settings(
      const config::Settings& s, std::function<void(resilience::BreakerState, const char*)> on_change) {
    resilience::CircuitBreakerSettings b;
    b.on_change = std::move(on_change);
    b.threshold = s.breaker.failure_threshold;
    b.cooldown = s.breaker.cool_down;
    return b;
  }
  static api::TokenCacheOptions token_options(const config::Settings& s, const api::ApiHosts& hosts) {
    api::TokenCacheOptions t;
    t.login_url = hosts.login_url;
    t.client_id = s.credentials.client_id;
    t.client_secret = s.credentials.client_secret;
    t.refresh_buffer = s.token.refresh_buffer;
    t.request_timeout = s.http.request_timeout;
    return t;
  }
  static api::GenesysJobsApiOptions jobs_options(const config::Settings& s, const api::ApiHosts& hosts) {
    api::GenesysJobsApiOptions j;
    j.api_url = hosts.api_url;
    j.request_timeout = s.http.request_timeout;
    j.download_timeout = s.http.download_timeout;
    return j;
  }

  resilience::Patience patience;
  http::CurlTransport curl;
  http::LoggingTransport logged;
  http::PatienceTransport watched;
  resilience::LocalRateLimiter limiter;
  http::RateLimitedTransport limited;
  resilience::CircuitBreaker breaker;
  http::CircuitBreakerTransport guarded;
  api::TokenCache tokens;
  api::AuthenticatingTransport authed;
  api::GenesysJobsApi jobs;
};

Result<std::unique_ptr<ApiStack>> ApiStack::build(
    const config::Settings& settings, const Clock& clock, Sleeper& sleeper, bool compress,
    std::function<void(resilience::BreakerState, const char*)> on_breaker_change) {
  auto hosts = api::resolve_hosts(settings.hosts);
  if (!hosts.ok()) return std::move(hosts).error();
  return std::unique_ptr<ApiStack>(
      new ApiStack(std::make_unique<Parts>(settings, *hosts, clock, sleeper, compress, std::move(on_breaker_change))));
}

ApiStack::ApiStack(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
ApiStack::~ApiStack() = default;

api::JobsApi& ApiStack::jobs() const {
  return parts_->jobs;
}
resilience::Patience& ApiStack::patience() const {
  return parts_->patience;
}
resilience::BreakerState ApiStack::breaker_state() const {
  return parts_->breaker.state();
}

}  // namespace gb::app
