#pragma once
// Which endpoint a request is for: one match per request, from its method and
// path, naming the route as /__sim/stats counts it.
#include <string>

#include "simulator/data.hpp"

namespace gb::simulator::detail {

enum class RouteId {
  kNotFound,
  kMethodNotAllowed,
  kToken,
  kStats,
  kAnalyticsCreate,
  kAnalyticsStatus,
  kAnalyticsResults,
  kAnalyticsCancel,
  kBulkCreate,
  kBulkStatus,
  kBulkChunk,
};

struct RouteMatch {
  RouteId id = RouteId::kNotFound;
  std::string name = "unknown";  // stats key: "GET /api/v2/bulk/jobs/{jobId}"; methods outside the usual 7 are OTHER
  bool api = false;              // under /api/v2: spends the rate budget and needs a bearer token
  JobKind kind = JobKind::kConversations;
  std::string a;      // jobId or jobType
  std::string b;      // chunkId
  std::string allow;  // the Allow header of a 405
};

// Pure; `path` is decoded and without the query.
RouteMatch match_route(const std::string& method, const std::string& path);

}  // namespace gb::simulator::detail
