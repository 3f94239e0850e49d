#include "api/regions.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

#include "config/validate.hpp"
#include "http/url.hpp"

namespace gb::api {
namespace {

constexpr std::array<Region, 17> kRegions{{
    {"us_east_1", "mypurecloud.com"},
    {"eu_west_1", "mypurecloud.ie"},
    {"ap_southeast_2", "mypurecloud.com.au"},
    {"ap_northeast_1", "mypurecloud.jp"},
    {"eu_central_1", "mypurecloud.de"},
    {"us_west_2", "usw2.pure.cloud"},
    {"ca_central_1", "cac1.pure.cloud"},
    {"ap_northeast_2", "apne2.pure.cloud"},
    {"eu_west_2", "euw2.pure.cloud"},
    {"ap_south_1", "aps1.pure.cloud"},
    {"us_east_2", "use2.us-gov-pure.cloud"},
    {"sa_east_1", "sae1.pure.cloud"},
    {"me_central_1", "mec1.pure.cloud"},
    {"ap_northeast_3", "apne3.pure.cloud"},
    {"eu_central_2", "euc2.pure.cloud"},
    {"mx_central_1", "mxc1.pure.cloud"},
    {"ap_southeast_1", "apse1.pure.cloud"},
}};

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// A DNS name: labels of [a-z0-9-], not starting or ending with '-', at least two labels.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  int labels = 0;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return labels >= 2;
}

}  // namespace

std::span<const Region> regions() {
  return kRegions;
}

const Region* find_region(std::string_view name) {
  std::string wanted = to_lower(name);
  for (char& c : wanted) {
    if (c == '-') c = '_';
  }
  for (const Region& region : kRegions) {
    if (region.name == wanted) return &region;
  }
  return nullptr;
}

Result<std::string> normalize_base_url(std::string_view url, std::string_view what) {
  const std::string shape =
      fmt::format("{} \"{}\" must be http(s)://host[:port] (no user info, path, query or fragment)", what, url);
  if (url.find_first_of("?#") != std::string_view::npos) return invalid_input(shape);
  auto parsed = http::parse_url(url);
  if (!parsed.ok()) return invalid_input(fmt::format("{}: {}", shape, parsed.error().message));
  if (parsed->path != "/") return invalid_input(shape);
  std::string out(url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  const std::size_t scheme_end = out.find("://");
  for (std::size_t i = 0; i < scheme_end && i < out.size(); ++i) out[i] = lower(out[i]);
  return out;
}

Result<ApiHosts> resolve_hosts(const config::HostSettings& hosts) {
  if (Status valid = config::validate_hosts(hosts); !valid.ok()) return valid.error();
  if (!hosts.login_url.empty()) {
    auto login = normalize_base_url(hosts.login_url, "login URL");
    if (!login.ok()) return std::move(login).error();
    auto api = normalize_base_url(hosts.api_url, "API URL");
    if (!api.ok()) return std::move(api).error();
    return ApiHosts{std::move(*login), std::move(*api)};
  }
  std::string env;
  if (!hosts.env_domain.empty()) {
    env = to_lower(hosts.env_domain);
    if (!is_dns_name(env)) {
      return invalid_input(
          fmt::format("environment domain \"{}\" is not a domain name (e.g. mypurecloud.ie)", hosts.env_domain));
    }
  } else {
    const Region* region = find_region(hosts.region);
    if (region == nullptr) {
      return invalid_input(
          fmt::format("unknown region \"{}\" (e.g. us_east_1, eu_west_1, ap_southeast_2)", hosts.region));
    }
    env = std::string(region->env);
  }
  return ApiHosts{"https://login." + env, "https://api." + env};
}

}  // namespace gb::api
