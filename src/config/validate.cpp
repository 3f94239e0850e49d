#include "config/validate.hpp"

#include <fmt/format.h>

#include <chrono>
#include <string_view>

namespace gb::config {
namespace {

bool starts_with_http_scheme(std::string_view url) {
  std::string prefix(url.substr(0, 8));
  for (char& c : prefix) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return prefix.starts_with("http://") || prefix.starts_with("https://");
}

template <class Rep, class Period>
Status positive(std::string_view name, std::chrono::duration<Rep, Period> value) {
  if (value.count() <= 0) return invalid_input(fmt::format("{} must be positive", name));
  return ok_status();
}

Status in_range(std::string_view name, long long value, long long low, long long high) {
  if (value < low || value > high) {
    return invalid_input(fmt::format("{} must be between {} and {} (got {})", name, low, high, value));
  }
  return ok_status();
}

}  // namespace

Status validate_hosts(const HostSettings& hosts) {
  const bool has_login = !hosts.login_url.empty();
  const bool has_api = !hosts.api_url.empty();
  if (has_login != has_api) {
    return invalid_input("explicit URLs need both the login URL and the API URL");
  }
  if (has_login) {
    // The value is configuration, not a secret, so it may be quoted back.
    for (const auto& [what, url] : {std::pair{"login URL", &hosts.login_url}, std::pair{"API URL", &hosts.api_url}}) {
      if (!starts_with_http_scheme(*url)) {
        return invalid_input(fmt::format("{} \"{}\" must start with http:// or https://", what, *url));
      }
    }
    return ok_status();
  }
  if (hosts.region.empty() && hosts.env_domain.empty()) {
    return invalid_input("no Genesys Cloud region: give a region name, an environment domain, or login and API URLs");
  }
  return ok_status();
}

Status validate_credentials(const Credentials& credentials) {
  if (credentials.client_id.empty()) return invalid_input("the OAuth client id is empty");
  if (credentials.client_secret.empty()) return invalid_input("the OAuth client secret is empty");
  // They travel in an Authorization header: no line breaks or other controls.
  for (std::string_view value :
       {std::string_view(credentials.client_id), std::string_view(credentials.client_secret)}) {
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return invalid_input("the OAuth client id or secret contains a control character");
      }
    }
  }
  if (credentials.client_id.find(':') != std::string::npos) {
    return invalid_input("the OAuth client id must not contain ':'");
  }
  return ok_status();
}

Status validate(const Settings& s) {
  const Status checks[] = {
      validate_hosts(s.hosts),
      validate_credentials(s.credentials),
      positive("token refresh buffer", s.token.refresh_buffer),
      positive("HTTP connect timeout", s.http.connect_timeout),
      positive("HTTP request timeout", s.http.request_timeout),
      positive("HTTP download timeout", s.http.download_timeout),
      positive("HTTP low-speed time", s.http.low_speed_time),
      in_range("maximum response size", static_cast<long long>(s.http.max_response_bytes), 1 << 16, 1ll << 40),
      in_range("retry attempts", s.retry.max_attempts, 1, 100),
      positive("retry base delay", s.retry.base_delay),
      positive("retry maximum delay", s.retry.max_delay),
      positive("maximum outage", s.retry.max_outage),
      in_range("rate budget (requests per window)", s.rate.requests, 1, 1'000'000),
      positive("rate window", s.rate.window),
      in_range("rate low-remaining threshold", s.rate.low_remaining, 0, 1'000'000),
      in_range("breaker failure threshold", s.breaker.failure_threshold, 1, 10'000),
      positive("breaker cool-down", s.breaker.cool_down),
      positive("poll interval", s.poll.interval),
      positive("maximum job wait", s.poll.max_job_wait),
      in_range("page size", s.download.page_size, 1, 100'000),
      in_range("download concurrency", s.download.concurrency, 1, 64),
      in_range("spill threshold (bytes)", static_cast<long long>(s.download.spill_threshold_bytes), 1 << 20, 1ll << 40),
  };
  for (const Status& status : checks) {
    if (!status.ok()) return status;
  }
  if (s.retry.base_delay > s.retry.max_delay) {
    return invalid_input("retry base delay must not exceed the retry maximum delay");
  }
  // The writer's share (cache, read-back batch: about 7 MB) and one
  // download's must fit together, or the first download would wait forever.
  if (s.download.memory_budget_bytes < (16ull << 20)) return invalid_input("memory budget must be at least 16 MB");
  // A download holds one record whole while it parses it; half the budget
  // stays for the chunks waiting for the store.
  if (s.download.max_record_bytes < 1024 ||
      s.download.max_record_bytes + (1ull << 20) > s.download.memory_budget_bytes / 2) {
    return invalid_input(
        fmt::format("maximum record size must be between 1 KB and {} MB (half the memory budget, less 1 MB)",
                    s.download.memory_budget_bytes / 2 / (1 << 20) - 1));
  }
  if (s.poll.interval > s.poll.max_job_wait) {
    return invalid_input("poll interval must not exceed the maximum job wait");
  }
  return ok_status();
}

}  // namespace gb::config
