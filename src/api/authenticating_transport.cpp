#include "api/authenticating_transport.hpp"

#include <algorithm>
#include <cctype>

#include "http/status.hpp"

namespace gb::api {
namespace {

bool is_authorization(const std::pair<std::string, std::string>& header) {
  constexpr std::string_view kName = "authorization";
  const std::string& name = header.first;
  return name.size() == kName.size() && std::equal(name.begin(), name.end(), kName.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Without a token the request itself never went out (the first try of a
// refresh ended in a 401, which the server did not act on either).
Error not_sent(Error error) {
  error.not_sent = true;
  return error;
}

}  // namespace

Result<http::Response> AuthenticatingTransport::send(const http::Request& request, const http::BodySink* sink) {
  auto token = tokens_.token();
  if (!token.ok()) return not_sent(std::move(token).error());

  http::Request authed = request;
  std::erase_if(authed.headers, is_authorization);
  authed.headers.emplace_back("Authorization", "Bearer " + *token);
  const std::size_t auth_index = authed.headers.size() - 1;

  auto first = inner_.send(authed, sink);
  if (!first.ok() || first->status != 401) return first;

  // The token expired early or was revoked: one fresh token, one more try.
  tokens_.invalidate(*token);
  auto fresh = tokens_.token();
  if (!fresh.ok()) return not_sent(std::move(fresh).error());
  authed.headers[auth_index].second = "Bearer " + *fresh;

  auto second = inner_.send(authed, sink);
  if (!second.ok() || second->status != 401) return second;
  tokens_.invalidate(*fresh);
  Error error = http::error_from_response(*second, "access token refused again after a refresh");
  error.kind = ErrorKind::kPermanent;
  return error;
}

}  // namespace gb::api
