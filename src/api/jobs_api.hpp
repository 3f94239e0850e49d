#pragma once
// What the pipeline needs from Genesys Cloud, whatever the kind of job.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/stop.hpp"
#include "http/transport.hpp"
#include "records/record.hpp"

namespace gb::api {

enum class JobKind { kConversations, kUsers, kBulk };

// conversations | users | bulk:<jobType>
struct ExportType {
  JobKind kind = JobKind::kBulk;
  std::string bulk_job_type;  // only for kBulk: users, interactions, analytics, ...

  static Result<ExportType> parse(std::string_view text);  // kInvalidInput on bad text
  std::string to_string() const;
  records::KeyField key_field() const;   // conversationId | userId | id
  std::string_view results_key() const;  // "conversations" | "userDetails" | "" (bulk chunks are bare arrays)
  bool paged() const { return kind != JobKind::kBulk; }
};

// Normalised from QUEUED/PENDING/FULFILLED/FAILED/CANCELLED/EXPIRED and
// queued/processing/completed/failed/cancelled. Only `state` drives control flow.
enum class JobPhase { kRunning, kSucceeded, kFailed };

struct ChunkInfo {
  std::string chunk_id;
  std::string url;  // absolute; checked against the configured API host before use
  std::uint64_t size = 0;
};

struct JobSnapshot {
  std::string state;  // as the API said it
  JobPhase phase = JobPhase::kRunning;
  std::string error_message;
  std::vector<ChunkInfo> chunks;  // bulk jobs, once completed
  double percent_complete = -1;   // informational only
};

struct Page {
  std::string body;    // the whole page; bounded by pageSize and the transport's size cap
  std::string cursor;  // empty on the last page
};

// Thread-safe. create_job makes one attempt (creating is not idempotent: the
// caller records the job id before anything else). get_job, fetch_page and
// download_chunk make one attempt too; callers wrap them in resilience::retry
// so a streamed download restarts its parser on each attempt.
// `limits` go with each request (http::Request::limits): no wait for the
// rate budget past the deadline, and a cancel stops a transfer at its next
// callback (a kInterrupted Error). The default is no bounds.
class JobsApi {
 public:
  virtual ~JobsApi() = default;
  virtual Result<std::string> create_job(const ExportType& type, const std::string& query_json,
                                         const CallLimits& limits = {}) = 0;
  virtual Result<JobSnapshot> get_job(const ExportType& type, const std::string& job_id,
                                      const CallLimits& limits = {}) = 0;
  virtual Status download_chunk(const ChunkInfo& chunk, const http::BodySink& sink, const CallLimits& limits = {}) = 0;
  virtual Result<Page> fetch_page(const ExportType& type, const std::string& job_id, const std::string& cursor,
                                  int page_size, const CallLimits& limits = {}) = 0;
};

}  // namespace gb::api
