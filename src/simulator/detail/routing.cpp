#include "simulator/detail/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace gb::simulator::detail {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto j = path.find('/', i);
    const auto end = j == std::string_view::npos ? path.size() : j;
    parts.push_back(path.substr(i, end - i));
    i = end;
  }
  return parts;
}

}  // namespace

RouteMatch match_route(const std::string& raw_method, const std::string& path) {
  // Stats are keyed by method and route: keep client-invented methods to one key.
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                               "PATCH", "HEAD", "OPTIONS"};
  const std::string method =
      std::find(kMethods.begin(), kMethods.end(), raw_method) != kMethods.end() ? raw_method : std::string("OTHER");
  RouteMatch m;
  const auto p = split_path(path);
  auto want = [&](RouteId id, std::string_view allowed, const std::string& tmpl) {
    m.name = method + " " + tmpl;
    if (method == allowed) {
      m.id = id;
    } else {
      m.id = RouteId::kMethodNotAllowed;
      m.allow = std::string(allowed);
    }
  };
  if (path == "/oauth/token") {
    want(RouteId::kToken, "POST", "/oauth/token");
    return m;
  }
  if (path == "/__sim/stats") {
    want(RouteId::kStats, "GET", "/__sim/stats");
    return m;
  }
  if (p.size() < 3 || p[0] != "api" || p[1] != "v2") return m;
  m.api = true;
  if (p.size() >= 6 && p[2] == "analytics" && (p[3] == "conversations" || p[3] == "users") && p[4] == "details" &&
      p[5] == "jobs") {
    m.kind = p[3] == "users" ? JobKind::kUsers : JobKind::kConversations;
    const std::string base = fmt::format("/api/v2/analytics/{}/details/jobs", p[3]);
    if (p.size() == 6) {
      want(RouteId::kAnalyticsCreate, "POST", base);
    } else if (p.size() == 7) {
      m.a = std::string(p[6]);
      if (method == "DELETE") {
        m.id = RouteId::kAnalyticsCancel;
        m.name = "DELETE " + base + "/{jobId}";
      } else {
        want(RouteId::kAnalyticsStatus, "GET", base + "/{jobId}");
        if (m.id == RouteId::kMethodNotAllowed) m.allow = "GET, DELETE";
      }
    } else if (p.size() == 8 && p[7] == "results") {
      m.a = std::string(p[6]);
      want(RouteId::kAnalyticsResults, "GET", base + "/{jobId}/results");
    }
    return m;
  }
  if (p.size() >= 4 && p[2] == "bulk" && p[3] == "jobs") {
    if (p.size() == 5) {
      m.a = std::string(p[4]);
      if (method == "POST") {
        m.id = RouteId::kBulkCreate;
        m.name = "POST /api/v2/bulk/jobs/{jobType}";
      } else if (method == "GET") {
        m.id = RouteId::kBulkStatus;
        m.name = "GET /api/v2/bulk/jobs/{jobId}";
      } else {
        m.id = RouteId::kMethodNotAllowed;
        m.name = method + " /api/v2/bulk/jobs/{jobId}";
        m.allow = "GET, POST";
      }
    } else if (p.size() == 7 && p[5] == "results") {
      m.a = std::string(p[4]);
      m.b = std::string(p[6]);
      want(RouteId::kBulkChunk, "GET", "/api/v2/bulk/jobs/{jobId}/results/{chunkId}");
    }
  }
  return m;
}

}  // namespace gb::simulator::detail
