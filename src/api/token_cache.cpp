#include "api/token_cache.hpp"

#include <fmt/format.h>

#include "api/detail/encoding.hpp"
#include "api/detail/token_response.hpp"
#include "base/log.hpp"
#include "http/status.hpp"

namespace gb::api {
TokenCache::TokenCache(http::Transport& login, TokenCacheOptions options, const Clock& clock)
    : login_(login), options_(std::move(options)), clock_(clock) {
  log::register_secret(options_.client_secret);
}

bool TokenCache::fresh_locked(SteadyTime now) const {
  if (token_.empty()) return false;
  const Duration buffer = std::min<Duration>(options_.refresh_buffer, lifetime_ / 2);
  return now + buffer < expires_at_;
}

Result<std::string> TokenCache::token() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (fresh_locked(clock_.now())) return token_;
    if (!refreshing_) break;
    // Someone is asking already: share the outcome of that one request.
    const std::uint64_t seen = generation_;
    refreshed_.wait(lock, [&] { return generation_ != seen; });
    if (last_error_) return *last_error_;
    if (!token_.empty()) return token_;  // just issued (a fresh token is never "stale" to its waiters)
    // Invalidated again before we woke: loop and wait for, or start, the next refresh.
  }
  refreshing_ = true;
  ++refresh_count_;
  lock.unlock();

  Result<Issued> fetched = internal_error("token refresh did not run");
  try {
    fetched = fetch();
  } catch (...) {
    fetched = internal_error("token refresh failed unexpectedly");
  }

  lock.lock();
  refreshing_ = false;
  ++generation_;
  Result<std::string> outcome = internal_error("unset");
  if (fetched.ok()) {
    token_ = std::move(fetched->access_token);
    expires_at_ = fetched->expires_at;
    lifetime_ = fetched->lifetime;
    last_error_.reset();
    outcome = token_;
  } else {
    last_error_ = fetched.error();
    outcome = fetched.error();
  }
  refreshed_.notify_all();
  return outcome;
}

void TokenCache::invalidate(std::string_view token) {
  std::lock_guard lock(mutex_);
  if (!token_.empty() && token_ == token) token_.clear();
}

std::uint64_t TokenCache::refresh_count() const {
  std::lock_guard lock(mutex_);
  return refresh_count_;
}

Result<TokenCache::Issued> TokenCache::fetch() {
  const SteadyTime asked_at = clock_.now();  // the token's life counts from before we asked
  http::Request request;
  request.method = "POST";
  request.url = options_.login_url + "/oauth/token";
  request.headers = {
      {"Authorization", "Basic " + detail::base64_encode(options_.client_id + ":" + options_.client_secret)},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
  };
  request.body = "grant_type=client_credentials";
  request.timeout = options_.request_timeout;

  auto sent = login_.send(request);
  if (!sent.ok()) return std::move(sent).error();
  http::Response& response = *sent;

  if (!http::is_success(response.status)) {
    const std::string code = detail::oauth_error_code(response.body);
    if (response.status == 401 || code == "invalid_client" || code == "unauthorized_client") {
      Error e = permanent_error(
          fmt::format("client credentials refused by the login service ({})", code.empty() ? "HTTP 401" : code));
      e.http_status = response.status;
      e.correlation_id = response.correlation_id;
      return e;
    }
    Error e = http::error_from_response(response, "OAuth token request");
    if (e.kind == ErrorKind::kUnauthorized) e.kind = ErrorKind::kPermanent;
    return e;
  }

  auto grant = detail::parse_token_response(response.body);
  if (!grant.ok()) return std::move(grant).error();
  // expires_in is optional (RFC 6749 §5.1): without it the token is assumed
  // to live options_.assumed_lifetime.
  const std::int64_t expires_in = grant->expires_in_s.value_or(options_.assumed_lifetime.count());
  Issued issued;
  issued.access_token = std::move(grant->access_token);
  issued.lifetime = std::chrono::seconds(expires_in);
  issued.expires_at = asked_at + issued.lifetime;
  log::register_secret(issued.access_token);
  log::debug("access token refreshed").field("expires_in_s", expires_in).emit();
  return issued;
}

}  // namespace gb::api
