#include "simulator/detail/replies.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iterator>
#include <system_error>

#include "base/json.hpp"

namespace gb::simulator::detail {
namespace {

std::string_view status_code_name(int status) {
  switch (status) {
    case 400: return "bad.request";
    case 401: return "bad.credentials";
    case 403: return "missing.permissions";
    case 404: return "not.found";
    case 405: return "method.not.allowed";
    case 410: return "gone";
    case 413: return "request.entity.too.large";
    case 429: return "too.many.requests";
    case 502: return "bad.gateway";
    case 503: return "service.unavailable";
    case 504: return "gateway.timeout";
    default: return "internal.server.error";
  }
}

}  // namespace

void json_field(std::string& out, std::string_view key, std::string_view value) {
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

std::string shown(std::string_view text) {
  return std::string(text.substr(0, 128));
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

Reply error_reply(int status, std::string_view code, std::string_view message, std::string_view context_id) {
  Reply r;
  r.status = status;
  std::string body = "{";
  json_field(body, "message", message);
  body += ',';
  json_field(body, "code", code.empty() ? status_code_name(status) : code);
  fmt::format_to(std::back_inserter(body), ",\"status\":{},", status);
  json_field(body, "contextId", context_id);
  body += ",\"details\":[],\"errors\":[]}";
  r.body = make_body(std::move(body));
  return r;
}

void add_rate_headers(Reply& reply, const RateLimiter::Decision& decision) {
  reply.headers.emplace_back("inin-ratelimit-count", std::to_string(decision.count));
  reply.headers.emplace_back("inin-ratelimit-allowed", std::to_string(decision.budget));
  reply.headers.emplace_back("inin-ratelimit-reset", std::to_string(decision.reset_seconds));
  reply.headers.emplace_back("X-RateLimit-Remaining", std::to_string(decision.remaining()));
}

void apply_body_fault(Reply& reply, FaultScheduler& faults) {
  if (faults.fire(FaultKind::kResetMidBody)) {
    reply.body_fault = BodyFault::kReset;
  } else if (faults.fire(FaultKind::kTruncatedBody)) {
    reply.body_fault = BodyFault::kTruncate;
  }
}

}  // namespace gb::simulator::detail
