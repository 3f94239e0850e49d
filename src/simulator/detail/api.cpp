#include "simulator/detail/api.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <stdexcept>

#include "base/hash.hpp"
#include "base/ids.hpp"
#include "simulator/detail/replies.hpp"

namespace gb::simulator::detail {
namespace {

constexpr std::uint64_t kMaxPageSize = 10000;

// Set at the start of handle(): error bodies carry it as contextId.
thread_local std::string t_correlation_id;

bool host_header_ok(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
}

std::string job_type_label(JobKind kind) {
  return kind == JobKind::kUsers ? "users" : "conversations";
}

// The body must be a JSON object; returns an error message otherwise.
std::string check_json_object(const std::string& body, simdjson::dom::element* root_out,
                              simdjson::dom::parser& parser) {
  if (body.empty()) return "A request body is required";
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  auto err = parser.parse(padded).get(root);
  if (err) return fmt::format("Unable to parse the request body as JSON: {}", simdjson::error_message(err));
  if (!root.is_object()) return "The request body must be a JSON object";
  if (root_out) *root_out = root;
  return {};
}

}  // namespace

Api::Api(const Settings& settings)
    : settings_(settings),
      clock_(settings.clock ? *settings.clock : static_cast<const Clock&>(system_clock())),
      start_(clock_.now()),
      faults_(settings.faults, settings.seed),
      limiter_(settings.rate_limit_requests, std::chrono::seconds(std::max(1, settings.rate_limit_window_seconds)),
               clock_),
      cache_(settings.cache_bytes),
      tokens_(settings_, clock_),
      jobs_(settings_, clock_, faults_) {
  if (settings.job_seconds < 0) throw std::invalid_argument("job_seconds must be >= 0");
  if (settings.chunk_records == 0) throw std::invalid_argument("chunk_records must be >= 1");
  if (settings.token_ttl.count() <= 0) throw std::invalid_argument("token_ttl must be >= 1 s");
  if (settings.client_id.empty() || settings.client_secret.empty()) {
    throw std::invalid_argument("client_id and client_secret must not be empty");
  }
  for (const auto& spec : settings.jobs) {
    std::string bulk;
    auto kind = parse_job_type(spec.type, &bulk);
    if (!kind) throw std::invalid_argument(kind.error().message);
    if (spec.chunk_records == 0) throw std::invalid_argument("chunk records must be >= 1 in job " + spec.type);
    jobs_.add(spec.type, spec.records, spec.chunk_records, false);
  }
}

std::string Api::wall_time(SteadyTime t) const {
  // Dates are shown relative to a fixed start so output is reproducible.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - start_).count();
  const std::int64_t total = std::max<std::int64_t>(0, ms);
  const auto s = total / 1000;
  return fmt::format("2026-11-28T{:02}:{:02}:{:02}.{:03}Z", (s / 3600) % 24, (s / 60) % 60, s % 60, total % 1000);
}

std::string Api::cursor_for(const Job& job, std::uint64_t offset) const {
  const auto mac = mix64(settings_.seed ^ fnv1a64(job.data.job_id) ^ mix64(offset)) & 0xffffffffULL;
  return fmt::format("c{:x}-{:08x}", offset, mac);
}

Reply Api::error(int status, const std::string& code, const std::string& message) const {
  return error_reply(status, code, message, t_correlation_id);
}

void Api::start_outage(std::chrono::milliseconds duration) {
  std::lock_guard lock(outage_mutex_);
  outage_until_ = clock_.now() + duration;
}

std::string Api::stats_json() {
  return detail::stats_json(stats_, faults_, jobs_, clock_.now());
}

Reply Api::handle(const HttpRequest& req) {
  const auto n = request_counter_.fetch_add(1);
  t_correlation_id = uuid_from(mix64(settings_.seed ^ 0xc0ffeeULL ^ mix64(n)), mix64(n));
  const RouteMatch m = match_route(req.method, req.path);
  auto method_not_allowed = [&] {
    Reply r = error(405, "", "Method " + req.method + " is not allowed here");
    r.headers.emplace_back("Allow", m.allow);
    return r;
  };
  Reply r;
  bool rate_headers = false;
  const SteadyTime now = clock_.now();
  // The outage's end, if one is on now.
  std::optional<SteadyTime> outage;
  {
    std::lock_guard lock(outage_mutex_);
    if (now < outage_until_) outage = outage_until_;
  }
  const auto& f = settings_.faults;
  if (f.outage_duration.count() > 0) {
    const auto from = start_ + f.outage_after;
    if (now >= from && now < from + f.outage_duration)
      outage = std::max(outage.value_or(now), from + f.outage_duration);
  }

  if (m.id == RouteId::kStats) {
    r.status = 200;
    r.body = make_body(stats_json());
  } else if (outage) {
    r = error(503, "service.unavailable", "The service is temporarily unavailable (simulated outage)");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*outage - now).count();
    if (!f.outage_without_retry_after)
      r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, (left + 999) / 1000)));
  } else if (req.body_too_large) {
    r = error(413, "", "The request body is too large");
  } else if (!m.api) {
    if (m.id == RouteId::kToken) {
      r = tokens_.token_endpoint(req, request_counter_.load());
    } else if (m.id == RouteId::kMethodNotAllowed) {
      r = method_not_allowed();
    } else {
      r = error(404, "not.found", "No resource at " + shown(req.path));
    }
  } else {
    rate_headers = true;
    const auto d = limiter_.take();
    const std::string token = TokenIssuer::bearer_token(req.authorization);
    if (!d.allowed) {
      r = error(429, "too.many.requests", fmt::format("Rate limit exceeded the maximum of {} requests", d.budget));
      r.headers.emplace_back("Retry-After", std::to_string(std::max(1, d.reset_seconds)));
    } else if (faults_.fire(FaultKind::kTooManyRequests)) {
      r = error(429, "too.many.requests", "Rate limit exceeded (simulated)");
      r.headers.emplace_back("Retry-After",
                             f.retry_after_text.empty() ? std::to_string(f.retry_after_seconds) : f.retry_after_text);
    } else if (faults_.fire(FaultKind::kServerError)) {
      static constexpr int kStatuses[] = {503, 502, 504};
      const int status = kStatuses[server_error_turn_.fetch_add(1) % 3];
      r = error(status, "", "The service failed to answer (simulated)");
    } else if (token.empty()) {
      r = error(401, "bad.credentials", "Invalid login credentials: no bearer token");
    } else if (!tokens_.valid(token)) {
      r = error(401, "bad.credentials", "Invalid login credentials: the token is expired or revoked");
    } else if (faults_.fire(FaultKind::kRevokeToken)) {
      tokens_.revoke(token);
      r = error(401, "bad.credentials", "Invalid login credentials: the token was revoked");
    } else if (faults_.fire(FaultKind::kForbidden)) {
      r = error(403, "missing.permissions", "You are missing the following permission(s) (simulated)");
    } else if (m.id == RouteId::kMethodNotAllowed) {
      r = method_not_allowed();
    } else {
      r = route(req, m);
    }
    add_rate_headers(r, d);
    if (faults_.fire(FaultKind::kSlow)) r.delay = f.slow_delay;
  }
  // Budget headers on every response; login and outage answers do not spend it.
  if (!rate_headers && m.id != RouteId::kStats) add_rate_headers(r, limiter_.peek());
  r.route = m.name;
  r.headers.emplace_back("ININ-Correlation-Id", t_correlation_id);
  stats_.count(m.name, r.status);
  return r;
}

Reply Api::route(const HttpRequest& req, const RouteMatch& m) {
  switch (m.id) {
    case RouteId::kAnalyticsCreate: return create_analytics(req, m.kind);
    case RouteId::kAnalyticsStatus: return analytics_status(m.a, m.kind);
    case RouteId::kAnalyticsResults: return analytics_results(req, m.a, m.kind);
    case RouteId::kAnalyticsCancel: return analytics_cancel(m.a, m.kind);
    case RouteId::kBulkCreate: return create_bulk(req, m.a);
    case RouteId::kBulkStatus: return bulk_status(req, m.a);
    case RouteId::kBulkChunk: return bulk_chunk(m.a, m.b);
    default: return error(404, "not.found", "No resource at " + shown(req.path));
  }
}

Reply Api::create_analytics(const HttpRequest& req, JobKind kind) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto msg = check_json_object(req.body, &root, parser); !msg.empty()) return error(400, "bad.request", msg);
  std::string_view interval;
  if (root["interval"].get_string().get(interval) || interval.find('/') == std::string_view::npos) {
    return error(400, "bad.request", "interval is required: an ISO-8601 interval \"start/end\"");
  }
  auto job = jobs_.add(job_type_label(kind), settings_.records_per_job, settings_.chunk_records, true);
  if (!job) return error(400, "bad.request", "Too many jobs");
  Reply r;
  r.status = 202;
  std::string body = "{";
  json_field(body, "jobId", job->data.job_id);
  body += '}';
  r.body = make_body(std::move(body));
  return r;
}

Reply Api::analytics_status(const std::string& id, JobKind kind) {
  auto job = jobs_.find(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto now = clock_.now();
  const std::string state = jobs_.state_name(*job, now, nullptr);
  std::string body = "{";
  json_field(body, "state", state);
  body += ',';
  json_field(body, "submissionDate", wall_time(job->created));
  const auto done_at =
      job->created + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(settings_.job_seconds));
  if (state != "QUEUED" && state != "PENDING") {
    body += ',';
    json_field(body, "completionDate", wall_time(std::min(now, done_at)));
    body += ',';
    json_field(body, "expirationDate", wall_time(done_at + std::chrono::hours(24 * 7)));
  }
  if (state == "FAILED") {
    body += ',';
    json_field(body, "errorMessage", "The job failed (simulated)");
  }
  body += '}';
  Reply r;
  r.body = make_body(std::move(body));
  return r;
}

Reply Api::analytics_cancel(const std::string& id, JobKind kind) {
  auto job = jobs_.find(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto state = jobs_.state_name(*job, clock_.now(), nullptr);
  if (state == "QUEUED" || state == "PENDING") jobs_.cancel(*job);
  Reply r;
  r.status = 204;
  return r;
}

Reply Api::analytics_results(const HttpRequest& req, const std::string& id, JobKind kind) {
  auto job = jobs_.find(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto state = jobs_.state_name(*job, clock_.now(), nullptr);
  if (state == "EXPIRED") return error(410, "gone", "The results of job " + shown(id) + " have expired");
  if (state != "FULFILLED")
    return error(400, "bad.request", "Results are available only when FULFILLED; the job is " + state);
  std::uint64_t page_size = std::min(job->data.chunk_records, kMaxPageSize);
  if (auto it = req.query.find("pageSize"); it != req.query.end()) {
    if (!parse_u64(it->second, page_size) || page_size < 1 || page_size > kMaxPageSize) {
      return error(400, "bad.request", fmt::format("pageSize must be an integer from 1 to {}", kMaxPageSize));
    }
  }
  std::uint64_t offset = 0;
  if (auto it = req.query.find("cursor"); it != req.query.end()) {
    const std::string& c = it->second;
    const auto dash = c.find('-');
    bool ok = c.size() < 64 && c.size() > 2 && c[0] == 'c' && dash != std::string::npos;
    if (ok) {
      auto [end, ec] = std::from_chars(c.data() + 1, c.data() + dash, offset, 16);
      ok = ec == std::errc() && end == c.data() + dash && offset < job->data.records && cursor_for(*job, offset) == c;
    }
    if (!ok) return error(400, "bad.request", "The cursor is not valid for this job");
  }
  const auto count = std::min(page_size, job->data.records - offset);
  std::string body = "{\"";
  body += kind == JobKind::kUsers ? "userDetails" : "conversations";
  body += "\":[";
  body.reserve(count * (job->data.record_bytes ? job->data.record_bytes + 1 : 4096) + 256);
  append_records(body, job->data, offset, count);
  body += ']';
  if (offset + count < job->data.records) {
    body += ',';
    json_field(body, "cursor", cursor_for(*job, offset + count));
  }
  body += ',';
  json_field(body, "dataAvailabilityDate", wall_time(job->created));
  body += '}';
  Reply r;
  r.body = make_body(std::move(body));
  apply_body_fault(r, faults_);
  return r;
}

Reply Api::create_bulk(const HttpRequest& req, const std::string& job_type) {
  if (job_type != "users" && job_type != "interactions" && job_type != "analytics") {
    return error(400, "bad.request",
                 "Unknown jobType '" + job_type.substr(0, 64) + "' (users, interactions, analytics)");
  }
  thread_local simdjson::dom::parser parser;
  if (auto msg = check_json_object(req.body, nullptr, parser); !msg.empty()) return error(400, "bad.request", msg);
  auto job = jobs_.add("bulk:" + job_type, settings_.records_per_job, settings_.chunk_records, true);
  if (!job) return error(400, "bad.request", "Too many jobs");
  Reply r;
  r.status = 202;
  std::string body = "{";
  json_field(body, "jobId", job->data.job_id);
  body += ",\"jobState\":\"queued\"}";
  r.body = make_body(std::move(body));
  return r;
}

Body Api::chunk_body(const Job& job, std::uint64_t chunk) {
  const DataParams& params = job.data;
  return cache_.get(job.data.job_id + "/" + std::to_string(chunk),
                    [&params, chunk] { return render_chunk(params, chunk); });
}

Reply Api::bulk_status(const HttpRequest& req, const std::string& id) {
  auto job = jobs_.find(id, JobKind::kBulk);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  double percent = 0;
  const std::string state = jobs_.state_name(*job, clock_.now(), &percent);
  const bool completed = state == "completed";
  std::string body = "{";
  json_field(body, "jobId", job->data.job_id);
  body += ',';
  json_field(body, "jobType", job->data.bulk_type);
  body += ',';
  json_field(body, "jobState", state);
  const double left = std::max(0.0, settings_.job_seconds * (100.0 - percent) / 100.0);
  fmt::format_to(std::back_inserter(body), ",\"percentComplete\":{},\"estimatedTimeRemaining\":{},\"totalCount\":{}",
                 completed ? 100 : static_cast<int>(std::min(99.0, percent)), static_cast<int>(left + 0.999),
                 job->data.records);
  if (state == "failed") {
    body += ',';
    json_field(body, "errorMessage", "The export failed (simulated)");
  }
  if (completed) {
    std::vector<std::uint64_t> sizes = jobs_.chunk_sizes(*job);
    if (sizes.size() != job->chunk_order.size()) {
      sizes.clear();
      for (std::uint64_t c = 0; c < job->chunk_order.size(); ++c) sizes.push_back(chunk_body(*job, c)->size());
      jobs_.set_chunk_sizes(*job, sizes);
    }
    const std::string host = host_header_ok(req.host) ? "http://" + req.host : base_url_;
    body += ",\"chunks\":[";
    bool first = true;
    for (auto c : job->chunk_order) {
      if (!first) body += ',';
      first = false;
      const auto chunk_id = fmt::format("chunk-{:05}", c);
      body += '{';
      json_field(body, "chunkId", chunk_id);
      body += ',';
      json_field(body, "url", fmt::format("{}/api/v2/bulk/jobs/{}/results/{}", host, job->data.job_id, chunk_id));
      fmt::format_to(std::back_inserter(body), ",\"size\":{}}}", sizes[c]);
    }
    body += ']';
  }
  body += '}';
  Reply r;
  r.body = make_body(std::move(body));
  return r;
}

Reply Api::bulk_chunk(const std::string& id, const std::string& chunk_id) {
  auto job = jobs_.find(id, JobKind::kBulk);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  std::uint64_t chunk = 0;
  if (!is_valid_id(chunk_id) || !chunk_id.starts_with("chunk-") || !parse_u64(chunk_id.substr(6), chunk) ||
      chunk >= job->chunk_order.size() || fmt::format("chunk-{:05}", chunk) != chunk_id) {
    return error(404, "not.found", "Chunk " + chunk_id.substr(0, 64) + " not found in job " + shown(id));
  }
  const auto state = jobs_.state_name(*job, clock_.now(), nullptr);
  if (state != "completed")
    return error(400, "bad.request", "Chunks are available only when completed; the job is " + state);
  Reply r;
  r.body = chunk_body(*job, chunk);
  r.gzip_body = [this, key = job->data.job_id + "/" + std::to_string(chunk), body = r.body] {
    return cache_.gzip(key, body);
  };
  apply_body_fault(r, faults_);
  return r;
}

}  // namespace gb::simulator::detail
