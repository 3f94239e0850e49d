// Fuzzes URL handling: http::parse_url, same_origin and join_url, and
// api::normalize_base_url (the --api-url/--login-url check).
//
// Input: a URL; after a first newline, a path to join to it
//   "https://api.mypurecloud.ie/x/\n/api/v2/bulk/jobs?a=1"
// Checks: a parsed URL is http(s) with a lower-case host, a port in
// 1..65535 and a path starting with '/'; a URL is same-origin with itself;
// a joined URL parses and stays on the base URL's origin; a normalized base
// URL parses, has no trailing slash, and normalizes to itself.
#include "http/url.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/regions.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_parsed(const gb::http::Url& url) {
  check(url.scheme == "http" || url.scheme == "https");
  check(!url.host.empty());
  for (const char c : url.host) check(c < 'A' || c > 'Z');
  check(url.port >= 1 && url.port <= 65535);
  check(!url.path.empty() && url.path.front() == '/');
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view base = input.substr(0, newline);
  const std::string_view path = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  auto parsed = gb::http::parse_url(base);
  if (parsed.ok()) {
    check_parsed(*parsed);
    check(gb::http::same_origin(base, base));
  } else {
    check(parsed.error().kind == gb::ErrorKind::kInvalidInput);
    check(!gb::http::same_origin(base, base));
  }

  auto joined = gb::http::join_url(base, path);
  if (joined.ok()) {
    check(parsed.ok());
    auto again = gb::http::parse_url(*joined);
    check(again.ok());
    check_parsed(*again);
    check(gb::http::same_origin(*joined, base));
  } else {
    check(joined.error().kind == gb::ErrorKind::kInvalidInput);
  }

  auto normalized = gb::api::normalize_base_url(base, "--api-url");
  if (normalized.ok()) {
    check(gb::http::parse_url(*normalized).ok());
    check(!normalized->empty() && normalized->back() != '/');
    auto twice = gb::api::normalize_base_url(*normalized, "--api-url");
    check(twice.ok() && *twice == *normalized);
  } else {
    check(normalized.error().kind == gb::ErrorKind::kInvalidInput);
  }
  return 0;
}
