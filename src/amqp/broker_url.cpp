#include "amqp/broker_url.hpp"

#include <fmt/format.h>

#include <charconv>

namespace gb::amqp {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_digit(in[i + 1]);
    const int lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string percent_encode(std::string_view in) {
  std::string out;
  for (const char c : in) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_' || c == '~';
    if (plain) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

Error bad(std::string_view what) {
  return invalid_input(fmt::format("broker URL: {}", what));
}

}  // namespace

Result<BrokerUrl> BrokerUrl::parse(std::string_view text) {
  constexpr std::string_view kScheme = "amqp://";
  std::string lower(text.substr(0, kScheme.size() + 1));
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower.rfind("amqps://", 0) == 0) return bad("amqps (TLS) is not supported");
  if (lower.rfind(kScheme, 0) != 0) return bad("must start with amqp://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("query strings are not supported");
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("contains spaces or control characters");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  BrokerUrl url;
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), url.user)) return bad("bad percent escape in the user");
    if (colon != std::string_view::npos) {
      if (!percent_decode(userinfo.substr(colon + 1), url.password)) return bad("bad percent escape in the password");
    }
    if (url.user.empty()) return bad("empty user");
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (url.host.empty()) return bad("empty host");
  if (url.host.find_first_of("@/%") != std::string::npos) return bad("bad host");
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      return bad("bad port");
    }
    url.port = port;
  }

  if (path.find('/') != std::string_view::npos) return bad("the vhost must be one path segment (write '/' as %2F)");
  // No path: the default vhost "/" stays.
  if (!path.empty() && !percent_decode(path, url.vhost)) return bad("bad percent escape in the vhost");
  return url;
}

std::string BrokerUrl::redacted() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("amqp://{}:***@{}{}{}:{}/{}", percent_encode(user), v6 ? "[" : "", host, v6 ? "]" : "", port,
                     percent_encode(vhost));
}

}  // namespace gb::amqp
