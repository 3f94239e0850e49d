#pragma once
// Reading the login service's answers to POST /oauth/token: pure functions,
// apart from the cache that sends the request (token_cache.cpp), so that they
// can be tested and fuzzed on bytes alone.
#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace gb::api::detail {

struct TokenGrant {
  std::string access_token;  // 1..16 KiB of visible ASCII (it goes into a header)
  std::int64_t expires_in_s = 0;
};

// The body of a 2xx token response. kPermanent when it is too large, not JSON,
// or lacks a usable access_token or expires_in (1 s .. 30 days); the message
// never quotes the body (it may hold a token). Grows `body`'s capacity by
// simdjson's padding. Pure; thread-safe.
Result<TokenGrant> parse_token_response(std::string& body);

// The "error" field of an OAuth error body (only A-Z a-z 0-9 _ . kept, at
// most 64 characters), or empty when the body is not one. Pure; thread-safe.
std::string oauth_error_code(std::string body);

}  // namespace gb::api::detail
