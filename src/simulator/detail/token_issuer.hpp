#pragma once
// The simulator's OAuth: POST /oauth/token (client credentials, from a Basic
// header or the form body) issues bearer tokens that expire after the
// configured TTL; API requests are checked against them. Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"
#include "simulator/detail/http.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator::detail {

class TokenIssuer {
 public:
  // Keeps references: both must outlive the issuer.
  TokenIssuer(const Settings& settings, const Clock& clock);

  // Answers POST /oauth/token: a token for the configured client, or an
  // OAuth error body (400 invalid_request / unsupported_grant_type, 401
  // invalid_client). `salt` varies the token with the request.
  Reply token_endpoint(const HttpRequest& request, std::uint64_t salt);

  // The token of an "Authorization: Bearer ..." header; empty when there is none.
  static std::string bearer_token(const std::string& authorization);

  bool valid(const std::string& token) const;
  void revoke(const std::string& token);
  void revoke_all();

 private:
  static constexpr std::size_t kMaxTokens = 100000;

  const Settings& settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SteadyTime> tokens_;  // token -> expiry
  std::uint64_t issued_ = 0;
};

}  // namespace gb::simulator::detail
