#include "api/genesys_jobs_api.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "api/detail/encoding.hpp"
#include "api/detail/json_fields.hpp"
#include "api/detail/page_cursor.hpp"
#include "base/ids.hpp"
#include "http/status.hpp"
#include "http/url.hpp"

namespace gb::api {
namespace {

constexpr std::size_t kMaxQueryBytes = 1u << 20;
constexpr std::size_t kMaxCursorBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxStateChars = 64;

using simdjson::SUCCESS;
namespace od = simdjson::ondemand;

// States and messages from the API end up in logs and errors: keep them
// short and printable.
std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (text.size() > limit) out += "...";
  return out;
}

Error not_json(std::string_view what) {
  // A 2xx body that does not parse was most likely cut short on the way.
  return transient_error(fmt::format("{}: the response is not valid JSON", what));
}

Result<ChunkInfo> parse_chunk(od::value value, const std::string& job_id) {
  od::object object;
  if (value.get_object().get(object) != SUCCESS) return permanent_error("a chunk entry is not an object");
  ChunkInfo chunk;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != SUCCESS) return permanent_error("bad chunk entry");
    if (key == "chunkId") {
      std::string_view id;
      if (field.value().get_string().get(id) != SUCCESS) return permanent_error("chunkId is not a string");
      chunk.chunk_id = std::string(id);
    } else if (key == "url") {
      std::string_view url;
      if (field.value().get_string().get(url) != SUCCESS) return permanent_error("chunk url is not a string");
      chunk.url = std::string(url);
    } else if (key == "size") {
      std::uint64_t size = 0;
      if (field.value().get_uint64().get(size) == SUCCESS) chunk.size = size;
    }
  }
  if (!is_valid_id(chunk.chunk_id)) {
    return permanent_error(fmt::format("job {} lists a chunk with an invalid chunkId", job_id));
  }
  if (chunk.url.empty()) return permanent_error(fmt::format("chunk {} of job {} has no url", chunk.chunk_id, job_id));
  return chunk;
}

}  // namespace

std::optional<JobPhase> phase_of_state(std::string_view state) {
  if (state == "QUEUED" || state == "PENDING" || state == "queued" || state == "processing") return JobPhase::kRunning;
  if (state == "FULFILLED" || state == "completed") return JobPhase::kSucceeded;
  if (state == "FAILED" || state == "CANCELLED" || state == "EXPIRED" || state == "failed" || state == "cancelled") {
    return JobPhase::kFailed;
  }
  return std::nullopt;
}

GenesysJobsApi::GenesysJobsApi(http::Transport& transport, GenesysJobsApiOptions options)
    : transport_(transport), options_(std::move(options)) {
  while (!options_.api_url.empty() && options_.api_url.back() == '/') options_.api_url.pop_back();
}

std::string GenesysJobsApi::jobs_path(const ExportType& type) const {
  switch (type.kind) {
    case JobKind::kConversations: return options_.api_url + "/api/v2/analytics/conversations/details/jobs";
    case JobKind::kUsers: return options_.api_url + "/api/v2/analytics/users/details/jobs";
    case JobKind::kBulk: return options_.api_url + "/api/v2/bulk/jobs";
  }
  return options_.api_url;
}

Result<http::Response> GenesysJobsApi::send_json(http::Request request, std::string_view what) {
  request.headers.emplace_back("Accept", "application/json");
  if (request.timeout.count() == 0) request.timeout = options_.request_timeout;
  auto sent = transport_.send(request);
  if (!sent.ok()) return std::move(sent).error();
  if (!http::is_success(sent->status)) return http::error_from_response(*sent, what);
  if (sent->body.size() > options_.max_json_bytes) {
    return permanent_error(fmt::format("{}: the response is larger than {} bytes", what, options_.max_json_bytes));
  }
  return sent;
}

Result<std::string> GenesysJobsApi::create_job(const ExportType& type, const std::string& query_json,
                                               const CallLimits& limits) {
  if (type.kind == JobKind::kBulk && !is_valid_id(type.bulk_job_type)) {
    return invalid_input("bulk job type must be 1-128 of A-Z a-z 0-9 . _ -");
  }
  if (query_json.size() > kMaxQueryBytes) return invalid_input("the export query is larger than 1 MiB");
  {
    // The whole query must be one JSON object: the DOM parser validates all of it.
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(query_json).get(root) != SUCCESS || !root.is_object()) {
      return invalid_input("the export query must be a JSON object");
    }
  }
  const std::string what = fmt::format("create {} job", type.to_string());
  http::Request request;
  request.method = "POST";
  request.url = type.kind == JobKind::kBulk ? jobs_path(type) + "/" + type.bulk_job_type : jobs_path(type);
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = query_json;
  request.limits = limits;
  auto sent = send_json(std::move(request), what);
  if (!sent.ok()) return std::move(sent).error();

  od::parser parser;
  od::document doc;
  std::string_view job_id;
  if (parser.iterate(detail::padded(sent->body)).get(doc) != SUCCESS) return not_json(what);
  if (doc.find_field_unordered("jobId").get_string().get(job_id) != SUCCESS) {
    return permanent_error(fmt::format("{}: the response has no jobId", what));
  }
  if (!is_valid_id(job_id)) return permanent_error(fmt::format("{}: the API returned an invalid jobId", what));
  return std::string(job_id);
}

Result<JobSnapshot> GenesysJobsApi::get_job(const ExportType& type, const std::string& job_id,
                                            const CallLimits& limits) {
  if (!is_valid_id(job_id)) return invalid_input("job id must be 1-128 of A-Z a-z 0-9 . _ -");
  const std::string what = fmt::format("status of job {}", job_id);
  http::Request request;
  request.url = jobs_path(type) + "/" + job_id;
  request.limits = limits;
  auto sent = send_json(std::move(request), what);
  if (!sent.ok()) return std::move(sent).error();

  od::parser parser;
  od::document doc;
  od::object object;
  if (parser.iterate(detail::padded(sent->body)).get(doc) != SUCCESS || doc.get_object().get(object) != SUCCESS) {
    return not_json(what);
  }
  const std::string_view state_key = type.paged() ? "state" : "jobState";
  JobSnapshot snapshot;
  bool has_state = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != SUCCESS) return not_json(what);
    if (key == state_key) {
      std::string_view state;
      if (field.value().get_string().get(state) != SUCCESS) {
        return permanent_error(fmt::format("{}: {} is not a string", what, state_key));
      }
      snapshot.state = std::string(state);
      has_state = true;
    } else if (key == "errorMessage") {
      std::string_view message;
      if (field.value().get_string().get(message) == SUCCESS) snapshot.error_message = printable(message, 1000);
    } else if (key == "percentComplete") {
      double percent = -1;
      if (field.value().get_double().get(percent) == SUCCESS) snapshot.percent_complete = percent;
    } else if (key == "chunks" && !type.paged()) {
      od::array chunks;
      if (field.value().get_array().get(chunks) != SUCCESS) {
        return permanent_error(fmt::format("{}: chunks is not an array", what));
      }
      for (auto element : chunks) {
        od::value value;
        if (element.get(value) != SUCCESS) return not_json(what);
        auto chunk = parse_chunk(value, job_id);
        if (!chunk.ok()) return std::move(chunk).error();
        snapshot.chunks.push_back(std::move(*chunk));
      }
    }
  }
  if (!has_state) return permanent_error(fmt::format("{}: the response has no {}", what, state_key));
  const auto phase = phase_of_state(snapshot.state);
  if (!phase) {
    return permanent_error(
        fmt::format("{}: unknown job state \"{}\"", what, printable(snapshot.state, kMaxStateChars)));
  }
  snapshot.phase = *phase;
  return snapshot;
}

Status GenesysJobsApi::download_chunk(const ChunkInfo& chunk, const http::BodySink& sink, const CallLimits& limits) {
  if (!is_valid_id(chunk.chunk_id)) return permanent_error("chunk id must be 1-128 of A-Z a-z 0-9 . _ -");
  const std::string what = fmt::format("download chunk {}", chunk.chunk_id);
  // The URL came from the API; the bearer token must never go anywhere else.
  if (!http::same_origin(chunk.url, options_.api_url)) {
    return permanent_error(fmt::format("{}: refused, its URL is not on the API host {}", what, options_.api_url));
  }
  http::Request request;
  request.url = chunk.url;
  request.headers.emplace_back("Accept", "application/json");
  request.timeout = options_.download_timeout;
  request.limits = limits;
  auto sent = transport_.send(request, &sink);
  if (!sent.ok()) return std::move(sent).error();
  if (!http::is_success(sent->status)) return http::error_from_response(*sent, what);
  return ok_status();
}

Result<Page> GenesysJobsApi::fetch_page(const ExportType& type, const std::string& job_id, const std::string& cursor,
                                        int page_size, const CallLimits& limits) {
  if (!type.paged()) return invalid_input("bulk jobs have chunks, not cursor pages");
  if (!is_valid_id(job_id)) return invalid_input("job id must be 1-128 of A-Z a-z 0-9 . _ -");
  if (page_size <= 0) return invalid_input("page size must be positive");
  if (cursor.size() > kMaxCursorBytes) return permanent_error("the results cursor is too long");
  const std::string what = fmt::format("results page of job {}", job_id);
  http::Request request;
  request.url = fmt::format("{}/{}/results?pageSize={}", jobs_path(type), job_id, page_size);
  if (!cursor.empty()) request.url += "&cursor=" + detail::url_encode(cursor);
  request.headers.emplace_back("Accept", "application/json");
  request.timeout = options_.download_timeout;
  request.limits = limits;
  auto sent = transport_.send(request);
  if (!sent.ok()) return std::move(sent).error();
  if (!http::is_success(sent->status)) return http::error_from_response(*sent, what);

  Page page;
  page.body = std::move(sent->body);
  // Only the cursor is read here; records/ splits the records out of the body.
  auto next = detail::find_page_cursor(page.body, what, kMaxCursorBytes);
  if (!next.ok()) return std::move(next).error();
  page.cursor = std::move(*next);
  return page;
}

}  // namespace gb::api
