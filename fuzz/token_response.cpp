// Fuzzes the login service's answers: api::detail::parse_token_response (a
// 2xx body of POST /oauth/token) and oauth_error_code (an error body).
//
// Input: the body. Checks: an accepted token is 1..16 KiB of visible ASCII
// (it goes into an Authorization header) with 1 s .. 30 days to live; a
// refusal is kPermanent and never quotes the token; an error code holds
// only A-Z a-z 0-9 _ . and at most 64 characters.
#include "api/detail/token_response.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string body = input;
  auto grant = gb::api::detail::parse_token_response(body);
  check(body == input);
  if (grant.ok()) {
    check(!grant->access_token.empty() && grant->access_token.size() <= std::size_t{16} * 1024);
    for (const char c : grant->access_token) check(c > 0x20 && c < 0x7f);
    check(!grant->expires_in_s || (*grant->expires_in_s > 0 && *grant->expires_in_s <= 30LL * 24 * 3600));
  } else {
    check(grant.error().kind == gb::ErrorKind::kPermanent);
    check(grant.error().message.size() < 200);
  }

  const std::string code = gb::api::detail::oauth_error_code(input);
  check(code.size() <= 64);
  for (const char c : code) {
    check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.');
  }
  return 0;
}
