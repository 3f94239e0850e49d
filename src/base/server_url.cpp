#include "base/server_url.hpp"

#include <fmt/format.h>

#include <charconv>

namespace gb {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool parse_port(std::string_view text, std::optional<int>& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

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
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
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

std::string bracketed_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

Result<ServerUrlParts> split_server_url(std::string_view text, std::string_view scheme, std::string_view tls_scheme,
                                        std::string_view name) {
  const auto bad = [name](std::string_view what) { return invalid_input(fmt::format("{} URL: {}", name, what)); };
  const std::string prefix = std::string(scheme) + "://";
  const std::string head = lower_ascii(text.substr(0, prefix.size() + 1));
  if (!tls_scheme.empty() && head.rfind(std::string(tls_scheme) + "://", 0) == 0) {
    return bad(fmt::format("{} (TLS) is not supported", tls_scheme));
  }
  if (head.rfind(prefix, 0) != 0) return bad(fmt::format("must start with {}", prefix));
  std::string_view rest = text.substr(prefix.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("query strings are not supported");
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("contains spaces or control characters");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ServerUrlParts parts;
  if (slash != std::string_view::npos) parts.path = std::string(rest.substr(slash + 1));

  // rfind: a password may hold an unescaped '@'; a host never does.
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    std::string decoded;
    if (!percent_decode(userinfo.substr(0, colon), decoded)) return bad("bad percent escape in the user");
    parts.user = decoded;
    if (colon != std::string_view::npos) {
      if (!percent_decode(userinfo.substr(colon + 1), decoded)) return bad("bad percent escape in the password");
      parts.password = decoded;
    }
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    parts.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = authority.find(':');
    parts.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (parts.host.empty()) return bad("empty host");
  if (parts.host.find_first_of("@/%[]") != std::string::npos) return bad("bad host");
  if (has_port && !parse_port(port_text, parts.port)) return bad("bad port");
  return parts;
}

}  // namespace gb
