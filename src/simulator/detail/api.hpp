#pragma once
// Everything the simulator knows and decides, behind one entry point:
// handle() turns a request into a reply. No sockets here. Thread-safe.
// The work is shared out: routing.hpp (which endpoint), token_issuer.hpp
// (OAuth), job_store.hpp (jobs and their life-cycle), stats.hpp
// (/__sim/stats), replies.hpp (error bodies, shared headers and faults);
// this class orders the checks (outage, rate budget, faults, token) and
// answers the job endpoints.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "simulator/detail/chunk_cache.hpp"
#include "simulator/detail/http.hpp"
#include "simulator/detail/job_store.hpp"
#include "simulator/detail/routing.hpp"
#include "simulator/detail/stats.hpp"
#include "simulator/detail/token_issuer.hpp"
#include "simulator/rate_limiter.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator::detail {

class Api {
 public:
  explicit Api(const Settings& settings);  // throws std::invalid_argument on bad settings (start-up misconfiguration)

  Reply handle(const HttpRequest& request);

  void set_base_url(std::string url) { base_url_ = std::move(url); }
  std::vector<JobSummary> jobs() const { return jobs_.summaries(); }
  std::shared_ptr<const Job> find_job(const std::string& id) const { return jobs_.find(id); }
  std::string stats_json();
  void revoke_tokens() { tokens_.revoke_all(); }
  void start_outage(std::chrono::milliseconds duration);

 private:
  Reply route(const HttpRequest& request, const RouteMatch& match);
  Reply create_analytics(const HttpRequest& request, JobKind kind);
  Reply analytics_status(const std::string& id, JobKind kind);
  Reply analytics_results(const HttpRequest& request, const std::string& id, JobKind kind);
  Reply analytics_cancel(const std::string& id, JobKind kind);
  Reply create_bulk(const HttpRequest& request, const std::string& job_type);
  Reply bulk_status(const HttpRequest& request, const std::string& id);
  Reply bulk_chunk(const std::string& id, const std::string& chunk_id);

  Body chunk_body(const Job& job, std::uint64_t chunk);
  std::string wall_time(SteadyTime t) const;
  std::string cursor_for(const Job& job, std::uint64_t offset) const;
  Reply error(int status, const std::string& code, const std::string& message) const;

  const Settings settings_;
  const Clock& clock_;
  const SteadyTime start_;
  std::string base_url_;
  FaultScheduler faults_;
  RateLimiter limiter_;
  ChunkCache cache_;
  TokenIssuer tokens_;
  JobStore jobs_;
  RequestStats stats_;
  std::atomic<std::uint64_t> request_counter_{0};
  std::atomic<std::uint64_t> server_error_turn_{0};

  std::mutex outage_mutex_;
  SteadyTime outage_until_{};
};

}  // namespace gb::simulator::detail
