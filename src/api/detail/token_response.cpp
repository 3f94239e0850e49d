#include "api/detail/token_response.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "api/detail/json_fields.hpp"

namespace gb::api::detail {
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

}  // namespace

std::string oauth_error_code(std::string body) {
  if (body.size() > kMaxTokenBody) return {};
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded(body)).get(doc) != simdjson::SUCCESS) return {};
  std::string_view code;
  if (doc["error"].get_string().get(code) != simdjson::SUCCESS) return {};
  std::string out;
  for (char c : code.substr(0, 64)) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.') out += c;
  }
  return out;
}

Result<TokenGrant> parse_token_response(std::string& body) {
  if (body.size() > kMaxTokenBody) return permanent_error("OAuth token response is too large");
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view access_token;
  if (parser.iterate(padded(body)).get(doc) != simdjson::SUCCESS ||
      doc.find_field_unordered("access_token").get_string().get(access_token) != simdjson::SUCCESS) {
    return permanent_error("OAuth token response lacks access_token");
  }
  if (access_token.empty() || access_token.size() > kMaxTokenChars || !is_header_safe(access_token)) {
    return permanent_error("OAuth token response has an unusable access_token");
  }
  TokenGrant grant{std::string(access_token), std::nullopt};
  simdjson::ondemand::value field;
  const auto found = doc.find_field_unordered("expires_in").get(field);
  simdjson::ondemand::json_type type = simdjson::ondemand::json_type::null;
  if (found == simdjson::SUCCESS && field.type().get(type) == simdjson::SUCCESS &&
      type != simdjson::ondemand::json_type::null) {
    std::int64_t expires_in = 0;
    if (field.get_int64().get(expires_in) != simdjson::SUCCESS) {
      return permanent_error("OAuth token response has an expires_in that is not a whole number");
    }
    if (expires_in <= 0 || expires_in > kMaxExpiresIn) {
      return permanent_error(fmt::format("OAuth token response has an implausible expires_in ({})", expires_in));
    }
    grant.expires_in_s = expires_in;
  } else if (found != simdjson::SUCCESS && found != simdjson::NO_SUCH_FIELD) {
    return permanent_error("OAuth token response is not valid JSON");
  }
  return grant;
}

}  // namespace gb::api::detail
