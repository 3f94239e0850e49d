#include "amqp/broker_url.hpp"

#include <fmt/format.h>

#include "base/server_url.hpp"

namespace gb::amqp {

Result<BrokerUrl> BrokerUrl::parse(std::string_view text) {
  auto parts = split_server_url(text, "amqp", "amqps", "broker");
  if (!parts.ok()) return std::move(parts).error();
  const auto bad = [](std::string_view what) { return invalid_input(fmt::format("broker URL: {}", what)); };
  BrokerUrl url;
  if (parts->user) {
    if (parts->user->empty()) return bad("empty user");
    url.user = *parts->user;
    if (parts->password) url.password = *parts->password;
  }
  url.host = parts->host;
  url.port = parts->port.value_or(url.port);
  if (parts->path.find('/') != std::string::npos) {
    return bad("the vhost must be one path segment (write '/' as %2F)");
  }
  // No path: the default vhost "/" stays.
  if (!parts->path.empty() && !percent_decode(parts->path, url.vhost)) return bad("bad percent escape in the vhost");
  return url;
}

std::string BrokerUrl::redacted() const {
  return fmt::format("amqp://{}:***@{}:{}/{}", percent_encode(user), bracketed_host(host), port, percent_encode(vhost));
}

}  // namespace gb::amqp
