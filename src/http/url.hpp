#pragma once
// URLs parsed by curl's URL API (never by hand), so what we check is exactly
// what curl will connect to.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::http {

struct Url {
  std::string scheme;  // lower case: http | https
  std::string host;    // lower case
  int port = 0;        // explicit or the scheme's default
  std::string path;    // at least "/"
  std::string query;   // without '?', may be empty
};

// Parses an absolute http(s) URL. kInvalidInput for anything else (other
// schemes, relative URLs, user:password@ parts, junk). Pure and thread-safe.
Result<Url> parse_url(std::string_view text);

// True when both parse and have the same scheme, host and port: used to
// accept a chunk URL only if it points at the configured API host.
bool same_origin(std::string_view url, std::string_view base_url);

// base_url's origin and path, then `path` (which starts with '/' and may carry
// a "?query"): join_url("https://h/x/", "/api/v2/jobs?a=1") ->
// "https://h/x/api/v2/jobs?a=1". kInvalidInput when base_url does not parse,
// path does not start with '/', or the result does not parse.
Result<std::string> join_url(std::string_view base_url, std::string_view path);

}  // namespace gb::http
