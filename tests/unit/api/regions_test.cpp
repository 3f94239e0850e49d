#include "api/regions.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gb::api {
namespace {

config::HostSettings region(std::string name) {
  config::HostSettings h;
  h.region = std::move(name);
  return h;
}

TEST(Regions, TheSpecsSeventeenRegions) {
  ASSERT_EQ(regions().size(), 17u);
  std::set<std::string_view> names;
  for (const Region& r : regions()) names.insert(r.name);
  EXPECT_EQ(names.size(), 17u);
  EXPECT_EQ(find_region("us_east_2")->env, "use2.us-gov-pure.cloud");
  EXPECT_EQ(find_region("ap_southeast_1")->env, "apse1.pure.cloud");
  EXPECT_EQ(find_region("mx_central_1")->env, "mxc1.pure.cloud");
  EXPECT_EQ(find_region("eu-west-1")->env, "mypurecloud.ie");
  EXPECT_EQ(find_region("EU_WEST_1")->env, "mypurecloud.ie");
  EXPECT_EQ(find_region("mars_north_1"), nullptr);
}

TEST(ResolveHosts, ByRegionName) {
  auto hosts = resolve_hosts(region("ap_southeast_2"));
  ASSERT_TRUE(hosts.ok()) << hosts.error().describe();
  EXPECT_EQ(hosts->login_url, "https://login.mypurecloud.com.au");
  EXPECT_EQ(hosts->api_url, "https://api.mypurecloud.com.au");
}

TEST(ResolveHosts, EveryRegionResolves) {
  for (const Region& r : regions()) {
    auto hosts = resolve_hosts(region(std::string(r.name)));
    ASSERT_TRUE(hosts.ok()) << r.name;
    EXPECT_EQ(hosts->api_url, "https://api." + std::string(r.env));
  }
}

TEST(ResolveHosts, ByEnvironmentDomainOverRegion) {
  config::HostSettings h = region("us_east_1");
  h.env_domain = "euw2.pure.cloud";
  auto hosts = resolve_hosts(h);
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(hosts->login_url, "https://login.euw2.pure.cloud");
  EXPECT_EQ(hosts->api_url, "https://api.euw2.pure.cloud");
}

TEST(ResolveHosts, ExplicitUrlsWin) {
  config::HostSettings h = region("us_east_1");
  h.env_domain = "mypurecloud.de";
  h.login_url = "http://127.0.0.1:8081/";
  h.api_url = "HTTP://127.0.0.1:8082";
  auto hosts = resolve_hosts(h);
  ASSERT_TRUE(hosts.ok()) << hosts.error().describe();
  EXPECT_EQ(hosts->login_url, "http://127.0.0.1:8081");
  EXPECT_EQ(hosts->api_url, "http://127.0.0.1:8082");
}

TEST(ResolveHosts, BadInputIsRefusedWithOneClearLine) {
  std::vector<std::pair<config::HostSettings, std::string>> cases;
  cases.push_back({region("mars_north_1"), "unknown region \"mars_north_1\""});
  cases.push_back({config::HostSettings{}, "no Genesys Cloud region"});
  config::HostSettings domain;
  domain.env_domain = "not a domain";
  cases.push_back({domain, "is not a domain name"});
  for (const std::string url : {"ftp://127.0.0.1", "127.0.0.1:8080", "http://user:pw@127.0.0.1", "http://127.0.0.1/api",
                                "http://127.0.0.1?x=1", "http://127.0.0.1#frag", "http://", "https://:443"}) {
    config::HostSettings h;
    h.login_url = url;
    h.api_url = "http://127.0.0.1";
    cases.push_back({h, "login URL"});
  }
  config::HostSettings half;
  half.login_url = "http://127.0.0.1";
  cases.push_back({half, "both the login URL and the API URL"});
  for (const auto& [hosts, expected] : cases) {
    auto resolved = resolve_hosts(hosts);
    ASSERT_FALSE(resolved.ok()) << hosts.login_url << " " << hosts.region;
    EXPECT_EQ(resolved.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(resolved.error().message.find(expected), std::string::npos) << resolved.error().message;
    EXPECT_EQ(resolved.error().message.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace gb::api
