#pragma once
// Genesys Cloud regions and how a configuration names its org's hosts.
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "config/settings.hpp"

namespace gb::api {

struct Region {
  std::string_view name;  // e.g. "eu_west_1"
  std::string_view env;   // environment domain, e.g. "mypurecloud.ie"
};

// The spec's table of all 17 regions, in its order.
std::span<const Region> regions();

// Looks a region up by name; "eu-west-1" and "EU_WEST_1" are accepted too.
const Region* find_region(std::string_view name);

// Base URLs without a trailing slash, e.g. "https://api.mypurecloud.ie".
struct ApiHosts {
  std::string login_url;
  std::string api_url;
};

// Explicit URLs win, then the environment domain, then the region name.
// Explicit URLs must be http(s)://host[:port] with no user info, path, query
// or fragment (checked by curl's URL parser); a trailing slash is dropped.
// Errors are kInvalidInput with one clear line. Pure; thread-safe.
Result<ApiHosts> resolve_hosts(const config::HostSettings& hosts);

// Normalises one base URL as above (exposed for tests and other callers).
Result<std::string> normalize_base_url(std::string_view url, std::string_view what);

}  // namespace gb::api
