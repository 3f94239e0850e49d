#include "redis/redis_url.hpp"

#include <fmt/format.h>

#include <charconv>

namespace gb::redis {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding; false on a malformed escape or a NUL (hiredis takes C strings
// nowhere here, but a NUL in a password is never what was meant).
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

bool parse_int(std::string_view text, int min, int max, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

Error bad(std::string_view what) {
  return invalid_input(fmt::format("redis URL: {}", what));
}

}  // namespace

Result<RedisUrl> RedisUrl::parse(std::string_view text) {
  constexpr std::string_view kScheme = "redis://";
  std::string lower(text.substr(0, kScheme.size() + 1));
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower.rfind("rediss://", 0) == 0) return bad("rediss (TLS) is not supported");
  if (lower.rfind(kScheme, 0) != 0) return bad("must start with redis://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return bad("query strings are not supported");
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("contains spaces or control characters");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  RedisUrl url;
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // redis://secret@host: redis-py reads a lone userinfo as the password.
      if (!percent_decode(userinfo, url.password)) return bad("bad percent escape in the password");
    } else {
      if (!percent_decode(userinfo.substr(0, colon), url.user)) return bad("bad percent escape in the user");
      if (!percent_decode(userinfo.substr(colon + 1), url.password)) return bad("bad percent escape in the password");
    }
  }
  const std::size_t colon = authority.rfind(':');
  const bool v6 = !authority.empty() && authority.front() == '[';
  if (v6) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || !parse_int(after.substr(1), 1, 65535, url.port))) {
      return bad("bad port");
    }
  } else {
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos && !parse_int(authority.substr(colon + 1), 1, 65535, url.port)) {
      return bad("bad port");
    }
  }
  if (url.host.empty()) return bad("empty host");
  if (url.host.find_first_of("@/%[]") != std::string::npos) return bad("bad host");
  if (!path.empty() && !parse_int(path, 0, 1 << 20, url.db)) return bad("the database must be a number");
  return url;
}

std::string RedisUrl::redacted() const {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string auth = password.empty() ? (user.empty() ? "" : user + ":@") : user + ":***@";
  return fmt::format("redis://{}{}{}{}:{}/{}", auth, v6 ? "[" : "", host, v6 ? "]" : "", port, db);
}

}  // namespace gb::redis
