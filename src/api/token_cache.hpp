#pragma once
// OAuth client-credentials tokens for every API call of the process.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "http/transport.hpp"

namespace gb::api {

// Hands out bearer tokens. Thread-safe.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A token believed valid, or the error of the failed attempt to get one.
  virtual Result<std::string> token() = 0;
  // The API refused `token` (401): forget it, unless it was already replaced.
  virtual void invalidate(std::string_view token) = 0;
};

struct TokenCacheOptions {
  std::string login_url;  // base, e.g. "https://login.mypurecloud.ie" (api::resolve_hosts)
  std::string client_id;
  std::string client_secret;
  std::chrono::seconds refresh_buffer{120};
  // The life of a token whose response has no expires_in (RFC 6749 §5.1
  // makes it optional): short, so an unknown lifetime costs a login every few
  // minutes rather than a 401 on a call; refreshed early like any other.
  std::chrono::seconds assumed_lifetime{300};
  std::chrono::milliseconds request_timeout{30'000};
};

// Caches one token from POST {login}/oauth/token (client credentials in an
// Authorization: Basic header).
//
// - Single flight: however many threads need a token while none is fresh,
//   one request is made; the others wait and share its outcome (the token,
//   or the same error).
// - A token is fresh while more than refresh_buffer of its life is left
//   (for tokens living less than twice the buffer, half their life), so it
//   is replaced before it expires, never during a call. A response without
//   expires_in is accepted: the token is assumed to live assumed_lifetime.
// - One attempt per refresh: a transient login failure (429, 5xx,
//   connection) is returned as kTransient for the caller's retry loop; a
//   refused client (401/invalid_client) is kPermanent with "client
//   credentials refused"; neither is kUnauthorized, so no caller mistakes it
//   for an expired token.
// - Every token is registered with log::register_secret; tokens and the
//   secret never appear in errors.
class TokenCache final : public TokenSource {
 public:
  // `login` (usually the plain transport, or rate-limited) and `clock` must
  // outlive the cache.
  TokenCache(http::Transport& login, TokenCacheOptions options, const Clock& clock);

  Result<std::string> token() override;
  void invalidate(std::string_view token) override;

  // Login requests made so far (for diagnostics and tests).
  std::uint64_t refresh_count() const;

 private:
  struct Issued {
    std::string access_token;
    SteadyTime expires_at;
    Duration lifetime;
  };
  Result<Issued> fetch();  // one POST, no lock held
  bool fresh_locked(SteadyTime now) const;

  http::Transport& login_;
  const TokenCacheOptions options_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable refreshed_;
  std::string token_;  // empty: none
  SteadyTime expires_at_{};
  Duration lifetime_{};
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;     // completed refreshes
  std::optional<Error> last_error_;  // of the last completed refresh
  std::uint64_t refresh_count_ = 0;
};

}  // namespace gb::api
