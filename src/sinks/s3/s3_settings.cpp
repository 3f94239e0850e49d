#include "sinks/s3/s3_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace gb::sinks {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool looks_like_ipv4(std::string_view s) {
  int dots = 0;
  for (const char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

Status check_bucket(std::string_view b) {
  auto bad = [&](std::string_view why) {
    return invalid_input(
        fmt::format("s3 sink: bucket name '{}' {} (S3 bucket names: 3-63 characters of a-z, 0-9, "
                    "'.' and '-', starting and ending with a letter or digit)",
                    b, why));
  };
  if (b.size() < 3 || b.size() > 63) return bad("is not 3-63 characters long");
  for (const char c : b) {
    if (!is_lower_alnum(c) && c != '.' && c != '-') return bad("has a character other than a-z, 0-9, '.', '-'");
  }
  if (!is_lower_alnum(b.front()) || !is_lower_alnum(b.back()))
    return bad("does not start and end with a letter or digit");
  if (b.find("..") != std::string_view::npos) return bad("has two adjacent periods");
  if (looks_like_ipv4(b)) return bad("is formatted as an IP address");
  return ok_status();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return invalid_input("s3 sink: a '%' escape is cut short");
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return invalid_input("s3 sink: a '%' is not followed by two hex digits");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// "http(s)://host[:port][/]": no user info, no path, no query.
Result<std::string> check_endpoint(std::string_view e) {
  auto bad = [&](std::string_view why) {
    // The endpoint is shown as given only when it has no user info.
    const bool has_at = e.find('@') != std::string_view::npos;
    return invalid_input(fmt::format("s3 sink: endpoint '{}' {}: it must be http://host[:port] or https://host[:port]",
                                     has_at ? std::string_view("<redacted>") : e, why));
  };
  std::string_view rest;
  if (e.rfind("http://", 0) == 0) {
    rest = e.substr(7);
  } else if (e.rfind("https://", 0) == 0) {
    rest = e.substr(8);
  } else {
    return bad("has no http:// or https:// scheme");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos) return bad("has user info (credentials come from the environment)");
  if (rest.find_first_of("/?#") != std::string_view::npos) return bad("has a path, a query or a fragment");
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed IPv6 bracket");
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad("has text after the IPv6 address");
      port = rest.substr(close + 2);
    }
  } else if (const std::size_t colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad("has no host");
  for (const char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '%' || c == '\\')
      return bad("has a character not allowed in a host");
  }
  if (rest.size() > host.size()) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("has a port that is not a number");
    }
    const int p = std::atoi(std::string(port).c_str());
    if (p < 1 || p > 65535) return bad("has a port outside 1-65535");
  }
  return std::string(e.substr(0, e.size() - (e.back() == '/' ? 1 : 0)));
}

Status check_region(std::string_view r) {
  if (r.empty() || r.size() > 64 ||
      !std::all_of(r.begin(), r.end(), [](char c) { return is_lower_alnum(c) || c == '-' || c == '_'; })) {
    return invalid_input(fmt::format("s3 sink: region '{}' is not a region name (like us-east-1)", r));
  }
  return ok_status();
}

}  // namespace

Result<S3Settings> parse_s3_url(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.rfind(kScheme, 0) != 0) {
    return invalid_input("s3 sink: expected s3://BUCKET[/PREFIX][?endpoint=URL&region=R&gzip=1]");
  }
  std::string_view rest = url.substr(kScheme.size());
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  S3Settings s;
  const std::size_t slash = rest.find('/');
  s.bucket = std::string(rest.substr(0, slash));
  if (s.bucket.find('@') != std::string::npos || s.bucket.find(':') != std::string::npos) {
    return invalid_input(
        "s3 sink: s3:// URLs carry no credentials or port: give the endpoint as ?endpoint=URL and the credentials in "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY");
  }
  if (auto st = check_bucket(s.bucket); !st) return std::move(st).error();
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    auto decoded = percent_decode(prefix);
    if (!decoded) return std::move(decoded).error();
    s.prefix = std::move(*decoded);
    if (!s.prefix.empty()) {
      std::size_t start = 0;
      for (;;) {
        const std::size_t end = s.prefix.find('/', start);
        const std::string_view seg = std::string_view(s.prefix).substr(start, end - start);
        if (seg.empty() || seg == "." || seg == "..") {
          return invalid_input(fmt::format("s3 sink: prefix '{}' has an empty, '.' or '..' segment", s.prefix));
        }
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
  bool have_endpoint = false;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return std::move(value).error();
    if (name == "endpoint") {
      auto e = check_endpoint(*value);
      if (!e) return std::move(e).error();
      s.endpoint = std::move(*e);
      have_endpoint = true;
    } else if (name == "region") {
      if (auto st = check_region(*value); !st) return std::move(st).error();
      s.region = std::move(*value);
    } else if (name == "gzip") {
      if (*value == "1" || *value == "true") {
        s.gzip = true;
      } else if (*value == "0" || *value == "false") {
        s.gzip = false;
      } else {
        return invalid_input(fmt::format("s3 sink: gzip must be 0 or 1, not '{}'", *value));
      }
    } else {
      return invalid_input(fmt::format("s3 sink: unknown parameter '{}' (known: endpoint, region, gzip)", name));
    }
  }
  if (!have_endpoint) s.endpoint = "https://s3." + s.region + ".amazonaws.com";
  return s;
}

Status credentials_from_environment(S3Settings& settings, const S3EnvLookup& env) {
  auto lookup = [&](const char* name) -> std::string {
    if (env) return env(name).value_or("");
    const char* value = std::getenv(name);
    return value == nullptr ? "" : value;
  };
  std::string id = lookup("AWS_ACCESS_KEY_ID");
  std::string secret = lookup("AWS_SECRET_ACCESS_KEY");
  if (id.empty()) return invalid_input("s3 sink: AWS_ACCESS_KEY_ID is not set");
  if (secret.empty()) return invalid_input("s3 sink: AWS_SECRET_ACCESS_KEY is not set");
  settings.access_key_id = std::move(id);
  settings.secret_access_key = std::move(secret);
  settings.session_token = lookup("AWS_SESSION_TOKEN");
  return ok_status();
}

std::string describe_s3(const S3Settings& settings) {
  std::string out = "s3://" + settings.bucket;
  if (!settings.prefix.empty()) out += "/" + settings.prefix;
  out += "?endpoint=" + settings.endpoint + "&region=" + settings.region;
  if (settings.gzip) out += "&gzip=1";
  return out;
}

}  // namespace gb::sinks
