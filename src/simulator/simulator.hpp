#pragma once
// The Genesys Cloud API simulator as a library: an HTTP/1.1 server on
// loopback that speaks the API of docs/../shared/spec/genesys-cloud-api.md
// (OAuth, analytics details jobs, bulk jobs), with deterministic data and
// faults on demand. Tests start it in-process on port 0:
//
//   gb::simulator::Settings s;
//   s.jobs.push_back({"bulk:users", 20000, 5000});
//   auto server = gb::simulator::Server::start(s);   // Result<unique_ptr<Server>>
//   std::string base = (*server)->base_url();          // login_url == api_url
//   auto keys = (*server)->expected_keys((*server)->jobs()[0].job_id);
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "simulator/checksum.hpp"
#include "simulator/data.hpp"
#include "simulator/faults.hpp"

namespace gb::simulator {

// A job that exists from the start.
struct JobSpec {
  std::string type;                    // "conversations" | "users" | "bulk:<jobType>" (users, interactions, analytics)
  std::uint64_t records = 0;           // how many records the job holds
  std::uint64_t chunk_records = 5000;  // bulk: records per chunk; analytics: the default (and largest) pageSize
};

struct Settings {
  std::string host = "127.0.0.1";        // loopback only unless told otherwise
  std::uint16_t port = 0;                // 0 = any free port (see Server::port())
  std::uint64_t seed = 1;                // all data, ids and probabilistic faults derive from it
  std::vector<JobSpec> jobs;             // created at start, in this order
  std::uint64_t records_per_job = 1000;  // records of jobs created later through the API
  std::uint64_t chunk_records = 5000;    // chunk size / default pageSize of jobs created through the API
  std::string client_id = "sim-client";  // the only credentials /oauth/token accepts
  std::string client_secret = "sim-secret";
  double job_seconds = 2.0;               // time a job spends queued+processing before it ends
  std::chrono::seconds token_ttl{86399};  // expires_in of issued tokens (they expire then)
  bool omit_expires_in = false;           // leave expires_in out of token responses (RFC 6749: optional)
  int rate_limit_requests = 300;          // budget of API requests per window (all clients together)
  int rate_limit_window_seconds = 60;
  std::size_t record_bytes = 0;  // 0 = natural sizes (conversations ~2-4 KB); else pad each record to this
  Faults faults;
  std::size_t cache_bytes = std::size_t{512} << 20;  // bound on cached rendered chunk bodies
  unsigned threads = 4;                              // server worker threads
  // Time source for job life-cycles, token expiry and rate windows; nullptr = the system clock.
  // The pointee must outlive the server. Fault delays always use real time.
  const Clock* clock = nullptr;
};

struct JobSummary {
  std::string job_id;
  std::string type;  // as in JobSpec::type
  std::uint64_t records = 0;
};

// The running server. start() binds and serves from its own threads; the
// destructor stops it (in-flight requests finish or are dropped). All methods
// are thread-safe.
class Server {
 public:
  // Binds host:port and starts serving; an Error if the settings are invalid
  // (unknown job type, zero chunk size...) or the port cannot be bound.
  static Result<std::unique_ptr<Server>> start(const Settings& settings);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:P": both the login and the API base URL

  // Every job, those given at start first, then those created through the API.
  std::vector<JobSummary> jobs() const;
  // Every record key of the job in record order (empty if the job is unknown).
  // Includes the keys of records that faults make malformed (see data.hpp flaw_of).
  std::vector<std::string> expected_keys(const std::string& job_id) const;
  // The generator parameters of a job, to compute its records or flaws; Error if unknown.
  Result<DataParams> data_params(const std::string& job_id) const;
  // Same document as GET /__sim/stats.
  std::string stats_json() const;

  // Every token issued so far is refused from now on (401 bad.credentials).
  void revoke_tokens();
  // Every request gets 503 for the next `duration` (an outage window).
  void start_outage(std::chrono::milliseconds duration);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::simulator
