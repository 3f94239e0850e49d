#pragma once
// Everything the simulator knows and decides, behind one entry point:
// handle() turns a request into a reply (routes, tokens, jobs and their
// life-cycle, rate budget, faults, stats). No sockets here. Thread-safe.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "simulator/detail/chunk_cache.hpp"
#include "simulator/detail/http.hpp"
#include "simulator/rate_limiter.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator::detail {

enum class Ending { kCompleted, kFailed, kCancelled, kExpired };

struct Job {
  std::string type;  // JobSpec::type form
  DataParams data;
  SteadyTime created{};
  Ending ending = Ending::kCompleted;
  std::vector<std::uint64_t> chunk_order;  // the order the status lists chunks in
  // Guarded by Api::jobs_mutex_:
  bool cancelled = false;
  SteadyTime cancelled_at{};
  std::vector<std::uint64_t> chunk_sizes;  // memoised body sizes, filled on first status
  bool summary_ready = false;
  std::string checksum;
  std::uint64_t flawed[3] = {0, 0, 0};  // malformed, invalid utf-8, \u0000
};

class Api {
 public:
  explicit Api(const Settings& settings);  // throws std::invalid_argument on bad settings (start-up misconfiguration)

  Reply handle(const HttpRequest& request);

  void set_base_url(std::string url) { base_url_ = std::move(url); }
  std::vector<JobSummary> jobs() const;
  std::shared_ptr<const Job> find_job(const std::string& id) const;
  std::string stats_json();
  void revoke_tokens();
  void start_outage(std::chrono::milliseconds duration);

 private:
  Reply route(const HttpRequest& request);
  Reply oauth_token(const HttpRequest& request);
  Reply create_analytics(const HttpRequest& request, JobKind kind);
  Reply analytics_status(const std::string& id, JobKind kind);
  Reply analytics_results(const HttpRequest& request, const std::string& id, JobKind kind);
  Reply analytics_cancel(const std::string& id, JobKind kind);
  Reply create_bulk(const HttpRequest& request, const std::string& job_type);
  Reply bulk_status(const HttpRequest& request, const std::string& id);
  Reply bulk_chunk(const std::string& id, const std::string& chunk_id);

  std::shared_ptr<Job> add_job(const std::string& type, std::uint64_t records, std::uint64_t chunk_records,
                               bool from_api);
  std::shared_ptr<Job> job_of_kind(const std::string& id, JobKind kind) const;
  Body chunk_body(const Job& job, std::uint64_t chunk);
  void ensure_summary(Job& job);
  std::string state_name(const Job& job, SteadyTime now, double* percent) const;
  std::string wall_time(SteadyTime t) const;
  std::string cursor_for(const Job& job, std::uint64_t offset) const;
  bool token_valid(const std::string& token);
  Reply error(int status, const std::string& code, const std::string& message) const;
  void count(const std::string& route, int status);

  const Settings settings_;
  const Clock& clock_;
  const SteadyTime start_;
  std::string base_url_;
  FaultScheduler faults_;
  RateLimiter limiter_;
  ChunkCache cache_;
  std::atomic<std::uint64_t> request_counter_{0};
  std::atomic<std::uint64_t> server_error_turn_{0};

  mutable std::mutex jobs_mutex_;
  std::vector<std::shared_ptr<Job>> jobs_;
  std::unordered_map<std::string, std::shared_ptr<Job>> jobs_by_id_;

  std::mutex tokens_mutex_;
  std::unordered_map<std::string, SteadyTime> tokens_;  // token -> expiry
  std::uint64_t tokens_issued_ = 0;

  std::mutex outage_mutex_;
  SteadyTime outage_until_{};

  std::mutex stats_mutex_;
  std::map<std::string, std::map<int, std::uint64_t>> counts_;
  std::uint64_t total_requests_ = 0;
};

}  // namespace gb::simulator::detail
