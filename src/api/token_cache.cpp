#include "api/token_cache.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "api/detail/encoding.hpp"
#include "api/detail/json_fields.hpp"
#include "base/log.hpp"
#include "http/status.hpp"

namespace gb::api {
namespace {

constexpr std::size_t kMaxTokenBody = std::size_t{64} * 1024;
constexpr std::size_t kMaxTokenChars = std::size_t{16} * 1024;
constexpr std::int64_t kMaxExpiresIn = 30LL * 24 * 3600;

// A token goes into an HTTP header: visible ASCII only.
bool is_header_safe(std::string_view token) {
  for (char c : token) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// The "error" field of an OAuth error body, if it is one.
std::string oauth_error_code(std::string body) {
  if (body.size() > kMaxTokenBody) return {};
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(detail::padded(body)).get(doc) != simdjson::SUCCESS) return {};
  std::string_view code;
  if (doc["error"].get_string().get(code) != simdjson::SUCCESS) return {};
  std::string out;
  for (char c : code.substr(0, 64)) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.') out += c;
  }
  return out;
}

}  // namespace

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
    const std::string code = oauth_error_code(response.body);
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

  if (response.body.size() > kMaxTokenBody) return permanent_error("OAuth token response is too large");
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view access_token;
  if (parser.iterate(detail::padded(response.body)).get(doc) != simdjson::SUCCESS ||
      doc.find_field_unordered("access_token").get_string().get(access_token) != simdjson::SUCCESS) {
    return permanent_error("OAuth token response lacks access_token");
  }
  if (access_token.empty() || access_token.size() > kMaxTokenChars || !is_header_safe(access_token)) {
    return permanent_error("OAuth token response has an unusable access_token");
  }
  // expires_in is optional (RFC 6749 §5.1): without it (or null) the token is
  // assumed to live options_.assumed_lifetime; one that is there must make sense.
  std::int64_t expires_in = options_.assumed_lifetime.count();
  simdjson::ondemand::value field;
  const auto found = doc.find_field_unordered("expires_in").get(field);
  simdjson::ondemand::json_type type = simdjson::ondemand::json_type::null;
  if (found == simdjson::SUCCESS && field.type().get(type) == simdjson::SUCCESS &&
      type != simdjson::ondemand::json_type::null) {
    if (field.get_int64().get(expires_in) != simdjson::SUCCESS) {
      return permanent_error("OAuth token response has an expires_in that is not a whole number");
    }
    if (expires_in <= 0 || expires_in > kMaxExpiresIn) {
      return permanent_error(fmt::format("OAuth token response has an implausible expires_in ({})", expires_in));
    }
  } else if (found != simdjson::SUCCESS && found != simdjson::NO_SUCH_FIELD) {
    return permanent_error("OAuth token response is not valid JSON");
  }
  Issued issued;
  issued.access_token = std::string(access_token);
  issued.lifetime = std::chrono::seconds(expires_in);
  issued.expires_at = asked_at + issued.lifetime;
  log::register_secret(issued.access_token);
  log::debug("access token refreshed").field("expires_in_s", expires_in).emit();
  return issued;
}

}  // namespace gb::api
