#pragma once
// JobsApi over HTTP, as the spec (shared/spec/genesys-cloud-api.md) describes
// the analytics details jobs and the Bulk Jobs API.
#include <chrono>
#include <cstddef>
#include <string>

#include "api/jobs_api.hpp"
#include "http/transport.hpp"

namespace gb::api {

struct GenesysJobsApiOptions {
  std::string api_url;                                 // base, e.g. "https://api.mypurecloud.ie" (api::resolve_hosts)
  std::chrono::milliseconds request_timeout{120'000};  // create, status
  std::chrono::milliseconds download_timeout{1'800'000};  // one chunk or page
  std::size_t max_json_bytes = 32u << 20;                 // cap on a create/status response we parse
};

// Thread-safe and stateless beyond its options. Sends through `transport`
// (the composition root's stack: bearer token, rate budget, breaker, curl),
// which must outlive it. One attempt per call, as the JobsApi contract says.
//
// Untrusted input is checked before use: job and chunk ids must pass
// gb::is_valid_id before they go into a URL (kInvalidInput for ids from the
// caller, kPermanent for ids the API sent); a chunk URL must be on the API
// host's origin (kPermanent "refused", nothing is sent); responses larger
// than max_json_bytes are refused. A 2xx body that is not the JSON the spec
// promises is kTransient when it does not parse (truncation) and kPermanent
// when a required field is missing. Non-2xx responses go through
// http::error_from_response. Job states are normalised to JobPhase; an
// unknown state is kPermanent.
class GenesysJobsApi final : public JobsApi {
 public:
  GenesysJobsApi(http::Transport& transport, GenesysJobsApiOptions options);

  Result<std::string> create_job(const ExportType& type, const std::string& query_json,
                                 const CallLimits& limits = {}) override;
  Result<JobSnapshot> get_job(const ExportType& type, const std::string& job_id,
                              const CallLimits& limits = {}) override;
  Status download_chunk(const ChunkInfo& chunk, const http::BodySink& sink, const CallLimits& limits = {}) override;
  // GET .../results?pageSize=N[&cursor=C]: the body untouched, and the
  // top-level "cursor" (empty when absent or null).
  Result<Page> fetch_page(const ExportType& type, const std::string& job_id, const std::string& cursor, int page_size,
                          const CallLimits& limits = {}) override;

 private:
  std::string jobs_path(const ExportType& type) const;  // base + collection path, no trailing slash
  Result<http::Response> send_json(http::Request request, std::string_view what);

  http::Transport& transport_;
  GenesysJobsApiOptions options_;
};

// Normalises a job state as the API spells it; nullopt when unknown.
std::optional<JobPhase> phase_of_state(std::string_view state);

}  // namespace gb::api
