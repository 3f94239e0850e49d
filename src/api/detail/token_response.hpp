#pragma once
// Reading the login service's answers to POST /oauth/token: pure functions,
// apart from the cache that sends the request (token_cache.cpp), so that they
// can be tested and fuzzed on bytes alone.
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace gb::api::detail {

struct TokenGrant {
  std::string access_token;                  // 1..16 KiB of visible ASCII (it goes into a header)
  std::optional<std::int64_t> expires_in_s;  // nullopt: absent or null (optional, RFC 6749 §5.1)
};

// The body of a 2xx token response. kPermanent when it is too large, not JSON,
// lacks a usable access_token, or has an expires_in that is not a whole
// number of seconds in 1 s .. 30 days (a missing or null one is fine); the message
// never quotes the body (it may hold a token). Grows `body`'s capacity by
// simdjson's padding. Pure; thread-safe.
Result<TokenGrant> parse_token_response(std::string& body);

// The "error" field of an OAuth error body (only A-Z a-z 0-9 _ . kept, at
// most 64 characters), or empty when the body is not one. Pure; thread-safe.
std::string oauth_error_code(std::string body);

}  // namespace gb::api::detail
