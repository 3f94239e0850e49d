#include "simulator/detail/token_issuer.hpp"

#include <fmt/format.h>

#include <iterator>
#include <string_view>

#include "base/json.hpp"
#include "simulator/detail/form.hpp"
#include "simulator/detail/replies.hpp"
#include "simulator/faults.hpp"

namespace gb::simulator::detail {
namespace {

Reply oauth_error(int status, std::string_view code, std::string_view description) {
  Reply r;
  r.status = status;
  std::string body = "{";
  json_field(body, "error", code);
  body += ',';
  json_field(body, "description", description);
  body += ",\"error_description\":";
  append_json_string(body, description);
  body += '}';
  r.body = make_body(std::move(body));
  return r;
}

}  // namespace

TokenIssuer::TokenIssuer(const Settings& settings, const Clock& clock) : settings_(settings), clock_(clock) {}

Reply TokenIssuer::token_endpoint(const HttpRequest& req, std::uint64_t salt) {
  const auto form = parse_form(req.body);
  if (!form) return oauth_error(400, "invalid_request", form.error().message);
  const auto grant = form_value(*form, "grant_type");
  if (!grant) return oauth_error(400, "invalid_request", "grant_type is required");
  if (*grant != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported");
  }
  std::string id;
  std::string secret;
  if (req.has_basic) {
    id = req.basic_user;
    secret = req.basic_password;
  } else if (form_value(*form, "client_id") && form_value(*form, "client_secret")) {
    id = *form_value(*form, "client_id");
    secret = *form_value(*form, "client_secret");
  } else if (!req.authorization.empty()) {
    return oauth_error(401, "invalid_client", "Client authentication failed: unreadable Authorization header");
  } else {
    return oauth_error(400, "invalid_request", "Client credentials are required (Basic header or form body)");
  }
  if (id != settings_.client_id || secret != settings_.client_secret) {
    return oauth_error(401, "invalid_client", "Client authentication failed: unknown client or wrong secret");
  }
  std::string token;
  {
    std::lock_guard lock(mutex_);
    const auto k = issued_++;
    token = fmt::format("{:016x}{:016x}{:016x}", mix64(settings_.seed ^ 0x70b3ULL ^ mix64(k)), mix64(k ^ 0x5eedULL),
                        mix64(salt ^ mix64(k)));
    const SteadyTime now = clock_.now();
    if (tokens_.size() >= kMaxTokens) {
      std::erase_if(tokens_, [now](const auto& kv) { return kv.second <= now; });
      if (tokens_.size() >= kMaxTokens) tokens_.clear();
    }
    tokens_[token] = now + settings_.token_ttl;
  }
  Reply r;
  r.status = 200;
  std::string body = "{";
  json_field(body, "access_token", token);
  body += ",\"token_type\":\"bearer\"";
  if (!settings_.omit_expires_in) {
    fmt::format_to(std::back_inserter(body), ",\"expires_in\":{}", settings_.token_ttl.count());
  }
  body += '}';
  r.body = make_body(std::move(body));
  return r;
}

std::string TokenIssuer::bearer_token(const std::string& auth) {
  if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
    return auth.substr(7);
  }
  return {};
}

bool TokenIssuer::valid(const std::string& token) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  return it != tokens_.end() && clock_.now() < it->second;
}

void TokenIssuer::revoke(const std::string& token) {
  std::lock_guard lock(mutex_);
  tokens_.erase(token);
}

void TokenIssuer::revoke_all() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}

}  // namespace gb::simulator::detail
