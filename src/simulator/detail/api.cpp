#include "simulator/detail/api.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>

#include "base/ids.hpp"
#include "base/json.hpp"
#include "simulator/detail/form.hpp"

namespace gb::simulator::detail {
namespace {

constexpr std::uint64_t kMaxPageSize = 10000;
constexpr std::size_t kMaxJobs = 10000;
constexpr std::size_t kMaxTokens = 100000;

// Set at the start of handle(): error bodies carry it as contextId.
thread_local std::string t_correlation_id;

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
  std::string name = "unknown";
  bool api = false;
  JobKind kind = JobKind::kConversations;
  std::string a;  // jobId or jobType
  std::string b;  // chunkId
  std::string allow;
};

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

RouteMatch match(const std::string& raw_method, const std::string& path) {
  // Stats are keyed by method and route: keep client-invented methods to one key.
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                               "PATCH", "HEAD", "OPTIONS"};
  const std::string method =
      std::find(kMethods.begin(), kMethods.end(), raw_method) != kMethods.end() ? raw_method : std::string("OTHER");
  RouteMatch m;
  const auto p = split_path(path);
  auto want = [&](RouteId id, std::string_view allowed, const std::string& tmpl) {
    if (method == allowed) {
      m.id = id;
      m.name = method + " " + tmpl;
    } else {
      m.id = RouteId::kMethodNotAllowed;
      m.name = method + " " + tmpl;
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
  if (p.size() >= 5 && p[2] == "analytics" && (p[3] == "conversations" || p[3] == "users") && p[4] == "details" &&
      p.size() >= 6 && p[5] == "jobs") {
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

std::string_view status_code_name(int status) {
  switch (status) {
    case 400: return "bad.request";
    case 401: return "bad.credentials";
    case 403: return "missing.permissions";
    case 404: return "not.found";
    case 405: return "method.not.allowed";
    case 410: return "gone";
    case 413: return "request.entity.too.large";
    case 429: return "too.many.requests";
    case 502: return "bad.gateway";
    case 503: return "service.unavailable";
    case 504: return "gateway.timeout";
    default: return "internal.server.error";
  }
}

// Ids and paths echoed in error messages are cut short: they come from the client.
std::string shown(std::string_view text) {
  return std::string(text.substr(0, 128));
}

bool host_header_ok(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '[' || c == ']';
  });
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

void json_field(std::string& out, std::string_view key, std::string_view value) {
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
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
      cache_(settings.cache_bytes) {
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
    add_job(spec.type, spec.records, spec.chunk_records, false);
  }
}

std::shared_ptr<Job> Api::add_job(const std::string& type, std::uint64_t records, std::uint64_t chunk_records,
                                  bool from_api) {
  auto job = std::make_shared<Job>();
  job->type = type;
  auto kind = parse_job_type(type, &job->data.bulk_type);
  job->data.kind = kind.ok() ? *kind : JobKind::kBulk;
  job->data.seed = settings_.seed;
  job->data.records = records;
  job->data.chunk_records = chunk_records;
  job->data.record_bytes = settings_.record_bytes;
  job->data.huge_chunk_bytes = static_cast<std::size_t>(settings_.faults.huge_chunk_mb) << 20;
  job->data.huge_record_bytes = static_cast<std::size_t>(settings_.faults.huge_record_mb) << 20;
  job->data.malformed_record = settings_.faults.malformed_record;
  job->data.invalid_utf8 = settings_.faults.invalid_utf8;
  job->data.nul_escape = settings_.faults.nul_escape;
  job->created = clock_.now();
  if (faults_.fire(FaultKind::kJobFailed)) {
    job->ending = Ending::kFailed;
  } else if (faults_.fire(FaultKind::kJobCancelled)) {
    job->ending = Ending::kCancelled;
  } else if (job->data.kind != JobKind::kBulk && faults_.fire(FaultKind::kJobExpired)) {
    job->ending = Ending::kExpired;
  }
  std::lock_guard lock(jobs_mutex_);
  if (from_api && jobs_.size() >= kMaxJobs) return nullptr;
  job->data.job_id = job_id_for(settings_.seed, jobs_.size());
  const auto n = chunk_count(job->data);
  job->chunk_order.resize(n);
  for (std::uint64_t i = 0; i < n; ++i) job->chunk_order[i] = i;
  if (settings_.faults.chunks_out_of_order && n > 1) {
    // A deterministic shuffle that always moves something.
    std::uint64_t state = mix64(settings_.seed ^ fnv1a64(job->data.job_id));
    for (std::uint64_t i = n - 1; i > 0; --i) {
      state = mix64(state);
      std::swap(job->chunk_order[i], job->chunk_order[state % (i + 1)]);
    }
    if (std::is_sorted(job->chunk_order.begin(), job->chunk_order.end()))
      std::reverse(job->chunk_order.begin(), job->chunk_order.end());
  }
  jobs_.push_back(job);
  jobs_by_id_[job->data.job_id] = job;
  return job;
}

std::vector<JobSummary> Api::jobs() const {
  std::lock_guard lock(jobs_mutex_);
  std::vector<JobSummary> out;
  for (const auto& j : jobs_) out.push_back({j->data.job_id, j->type, j->data.records});
  return out;
}

std::shared_ptr<const Job> Api::find_job(const std::string& id) const {
  std::lock_guard lock(jobs_mutex_);
  auto it = jobs_by_id_.find(id);
  if (it == jobs_by_id_.end()) return nullptr;
  return it->second;
}

std::shared_ptr<Job> Api::job_of_kind(const std::string& id, JobKind kind) const {
  std::lock_guard lock(jobs_mutex_);
  auto it = jobs_by_id_.find(id);
  if (it == jobs_by_id_.end() || it->second->data.kind != kind) return nullptr;
  return it->second;
}

std::string Api::state_name(const Job& job, SteadyTime now, double* percent) const {
  const bool analytics = job.data.kind != JobKind::kBulk;
  bool cancelled;
  {
    std::lock_guard lock(jobs_mutex_);
    cancelled = job.cancelled;
  }
  const double total = settings_.job_seconds;
  const double elapsed = std::chrono::duration<double>(now - job.created).count();
  if (percent) *percent = total <= 0 ? 100.0 : std::min(100.0, 100.0 * elapsed / total);
  if (cancelled) return analytics ? "CANCELLED" : "cancelled";
  if (elapsed < total / 3) return analytics ? "QUEUED" : "queued";
  if (elapsed < total) return analytics ? "PENDING" : "processing";
  switch (job.ending) {
    case Ending::kCompleted: return analytics ? "FULFILLED" : "completed";
    case Ending::kFailed: return analytics ? "FAILED" : "failed";
    case Ending::kCancelled: return analytics ? "CANCELLED" : "cancelled";
    case Ending::kExpired: return analytics ? "EXPIRED" : "failed";
  }
  return "unknown";
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
  Reply r;
  r.status = status;
  std::string body = "{";
  json_field(body, "message", message);
  body += ',';
  json_field(body, "code", code.empty() ? std::string(status_code_name(status)) : code);
  fmt::format_to(std::back_inserter(body), ",\"status\":{},", status);
  json_field(body, "contextId", t_correlation_id);
  body += ",\"details\":[],\"errors\":[]}";
  r.body = make_body(std::move(body));
  return r;
}

void Api::count(const std::string& route, int status) {
  std::lock_guard lock(stats_mutex_);
  ++counts_[route][status];
  ++total_requests_;
}

void Api::revoke_tokens() {
  std::lock_guard lock(tokens_mutex_);
  tokens_.clear();
}

void Api::start_outage(std::chrono::milliseconds duration) {
  std::lock_guard lock(outage_mutex_);
  outage_until_ = clock_.now() + duration;
}

bool Api::token_valid(const std::string& token) {
  std::lock_guard lock(tokens_mutex_);
  auto it = tokens_.find(token);
  return it != tokens_.end() && clock_.now() < it->second;
}

Reply Api::handle(const HttpRequest& req) {
  const auto n = request_counter_.fetch_add(1);
  t_correlation_id = uuid_from(mix64(settings_.seed ^ 0xc0ffeeULL ^ mix64(n)), mix64(n));
  const RouteMatch m = match(req.method, req.path);
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
      r = oauth_token(req);
    } else if (m.id == RouteId::kMethodNotAllowed) {
      r = error(405, "", "Method " + req.method + " is not allowed here");
      r.headers.emplace_back("Allow", m.allow);
    } else {
      r = error(404, "not.found", "No resource at " + shown(req.path));
    }
  } else {
    rate_headers = true;
    const auto d = limiter_.take();
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
    } else {
      std::string token;
      const std::string& auth = req.authorization;
      if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
        token = auth.substr(7);
      }
      if (token.empty()) {
        r = error(401, "bad.credentials", "Invalid login credentials: no bearer token");
      } else if (!token_valid(token)) {
        r = error(401, "bad.credentials", "Invalid login credentials: the token is expired or revoked");
      } else if (faults_.fire(FaultKind::kRevokeToken)) {
        {
          std::lock_guard lock(tokens_mutex_);
          tokens_.erase(token);
        }
        r = error(401, "bad.credentials", "Invalid login credentials: the token was revoked");
      } else if (faults_.fire(FaultKind::kForbidden)) {
        r = error(403, "missing.permissions", "You are missing the following permission(s) (simulated)");
      } else {
        r = route(req);
        if (m.id == RouteId::kMethodNotAllowed) {
          r = error(405, "", "Method " + req.method + " is not allowed here");
          r.headers.emplace_back("Allow", m.allow);
        }
      }
    }
    r.headers.emplace_back("inin-ratelimit-count", std::to_string(d.count));
    r.headers.emplace_back("inin-ratelimit-allowed", std::to_string(d.budget));
    r.headers.emplace_back("inin-ratelimit-reset", std::to_string(d.reset_seconds));
    r.headers.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining()));
    if (faults_.fire(FaultKind::kSlow)) r.delay = f.slow_delay;
  }
  if (!rate_headers && m.id != RouteId::kStats) {
    // Budget headers on every response; login and outage answers do not spend it.
    const auto d = limiter_.peek();
    r.headers.emplace_back("inin-ratelimit-count", std::to_string(d.count));
    r.headers.emplace_back("inin-ratelimit-allowed", std::to_string(d.budget));
    r.headers.emplace_back("inin-ratelimit-reset", std::to_string(d.reset_seconds));
    r.headers.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining()));
  }
  r.route = m.name;
  r.headers.emplace_back("ININ-Correlation-Id", t_correlation_id);
  count(m.name, r.status);
  return r;
}

Reply Api::route(const HttpRequest& req) {
  const RouteMatch m = match(req.method, req.path);
  switch (m.id) {
    case RouteId::kAnalyticsCreate: return create_analytics(req, m.kind);
    case RouteId::kAnalyticsStatus: return analytics_status(m.a, m.kind);
    case RouteId::kAnalyticsResults: return analytics_results(req, m.a, m.kind);
    case RouteId::kAnalyticsCancel: return analytics_cancel(m.a, m.kind);
    case RouteId::kBulkCreate: return create_bulk(req, m.a);
    case RouteId::kBulkStatus: return bulk_status(req, m.a);
    case RouteId::kBulkChunk: return bulk_chunk(m.a, m.b);
    case RouteId::kMethodNotAllowed: return Reply{};  // answered by handle()
    default: return error(404, "not.found", "No resource at " + shown(req.path));
  }
}

Reply Api::oauth_token(const HttpRequest& req) {
  auto oauth_error = [](int status, std::string_view code, std::string_view description) {
    Reply r;
    r.status = status;
    std::string body = "{";
    json_field(body, "error", code);
    body += ',';
    json_field(body, "description", description);
    body += ",\"error_description\":";
    append_json_string(body, description);
    body += '}';
    r.body = make_body(std::move(body));
    return r;
  };
  const auto form = parse_form(req.body);
  if (!form) return oauth_error(400, "invalid_request", form.error().message);
  const auto grant = form_value(*form, "grant_type");
  if (!grant) return oauth_error(400, "invalid_request", "grant_type is required");
  if (*grant != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported");
  }
  std::string id;
  std::string secret;
  if (req.has_basic) {
    id = req.basic_user;
    secret = req.basic_password;
  } else if (form_value(*form, "client_id") && form_value(*form, "client_secret")) {
    id = *form_value(*form, "client_id");
    secret = *form_value(*form, "client_secret");
  } else if (!req.authorization.empty()) {
    return oauth_error(401, "invalid_client", "Client authentication failed: unreadable Authorization header");
  } else {
    return oauth_error(400, "invalid_request", "Client credentials are required (Basic header or form body)");
  }
  if (id != settings_.client_id || secret != settings_.client_secret) {
    return oauth_error(401, "invalid_client", "Client authentication failed: unknown client or wrong secret");
  }
  std::string token;
  {
    std::lock_guard lock(tokens_mutex_);
    const auto k = tokens_issued_++;
    token = fmt::format("{:016x}{:016x}{:016x}", mix64(settings_.seed ^ 0x70b3ULL ^ mix64(k)), mix64(k ^ 0x5eedULL),
                        mix64(request_counter_.load() ^ mix64(k)));
    const SteadyTime now = clock_.now();
    if (tokens_.size() >= kMaxTokens) {
      std::erase_if(tokens_, [now](const auto& kv) { return kv.second <= now; });
      if (tokens_.size() >= kMaxTokens) tokens_.clear();
    }
    tokens_[token] = now + settings_.token_ttl;
  }
  Reply r;
  r.status = 200;
  std::string body = "{";
  json_field(body, "access_token", token);
  body += ",\"token_type\":\"bearer\"";
  if (!settings_.omit_expires_in)
    fmt::format_to(std::back_inserter(body), ",\"expires_in\":{}", settings_.token_ttl.count());
  body += '}';
  r.body = make_body(std::move(body));
  return r;
}

Reply Api::create_analytics(const HttpRequest& req, JobKind kind) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto msg = check_json_object(req.body, &root, parser); !msg.empty()) return error(400, "bad.request", msg);
  std::string_view interval;
  if (root["interval"].get_string().get(interval) || interval.find('/') == std::string_view::npos) {
    return error(400, "bad.request", "interval is required: an ISO-8601 interval \"start/end\"");
  }
  auto job = add_job(job_type_label(kind), settings_.records_per_job, settings_.chunk_records, true);
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
  auto job = job_of_kind(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto now = clock_.now();
  const std::string state = state_name(*job, now, nullptr);
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
  auto job = job_of_kind(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto state = state_name(*job, clock_.now(), nullptr);
  if (state == "QUEUED" || state == "PENDING") {
    std::lock_guard lock(jobs_mutex_);
    job->cancelled = true;
    job->cancelled_at = clock_.now();
  }
  Reply r;
  r.status = 204;
  return r;
}

Reply Api::analytics_results(const HttpRequest& req, const std::string& id, JobKind kind) {
  auto job = job_of_kind(id, kind);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  const auto state = state_name(*job, clock_.now(), nullptr);
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
  if (faults_.fire(FaultKind::kResetMidBody)) {
    r.body_fault = BodyFault::kReset;
  } else if (faults_.fire(FaultKind::kTruncatedBody)) {
    r.body_fault = BodyFault::kTruncate;
  }
  return r;
}

Reply Api::create_bulk(const HttpRequest& req, const std::string& job_type) {
  if (job_type != "users" && job_type != "interactions" && job_type != "analytics") {
    return error(400, "bad.request",
                 "Unknown jobType '" + job_type.substr(0, 64) + "' (users, interactions, analytics)");
  }
  thread_local simdjson::dom::parser parser;
  if (auto msg = check_json_object(req.body, nullptr, parser); !msg.empty()) return error(400, "bad.request", msg);
  auto job = add_job("bulk:" + job_type, settings_.records_per_job, settings_.chunk_records, true);
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
  auto job = job_of_kind(id, JobKind::kBulk);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  double percent = 0;
  const std::string state = state_name(*job, clock_.now(), &percent);
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
    std::vector<std::uint64_t> sizes;
    {
      std::lock_guard lock(jobs_mutex_);
      sizes = job->chunk_sizes;
    }
    if (sizes.size() != job->chunk_order.size()) {
      sizes.clear();
      for (std::uint64_t c = 0; c < job->chunk_order.size(); ++c) sizes.push_back(chunk_body(*job, c)->size());
      std::lock_guard lock(jobs_mutex_);
      job->chunk_sizes = sizes;
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
  auto job = job_of_kind(id, JobKind::kBulk);
  if (!job) return error(404, "not.found", "Job " + shown(id) + " not found");
  std::uint64_t chunk = 0;
  if (!is_valid_id(chunk_id) || !chunk_id.starts_with("chunk-") || !parse_u64(chunk_id.substr(6), chunk) ||
      chunk >= job->chunk_order.size() || fmt::format("chunk-{:05}", chunk) != chunk_id) {
    return error(404, "not.found", "Chunk " + chunk_id.substr(0, 64) + " not found in job " + shown(id));
  }
  const auto state = state_name(*job, clock_.now(), nullptr);
  if (state != "completed")
    return error(400, "bad.request", "Chunks are available only when completed; the job is " + state);
  Reply r;
  r.body = chunk_body(*job, chunk);
  r.gzip_body = [this, key = job->data.job_id + "/" + std::to_string(chunk), body = r.body] {
    return cache_.gzip(key, body);
  };
  if (faults_.fire(FaultKind::kResetMidBody)) {
    r.body_fault = BodyFault::kReset;
  } else if (faults_.fire(FaultKind::kTruncatedBody)) {
    r.body_fault = BodyFault::kTruncate;
  }
  return r;
}

void Api::ensure_summary(Job& job) {
  {
    std::lock_guard lock(jobs_mutex_);
    if (job.summary_ready) return;
  }
  KeyChecksum sum;
  std::uint64_t flawed[3] = {0, 0, 0};
  for (std::uint64_t i = 0; i < job.data.records; ++i) {
    sum.add(record_key(job.data, i));
    switch (flaw_of(job.data, i)) {
      case Flaw::kNone: break;
      case Flaw::kMalformed: ++flawed[0]; break;
      case Flaw::kInvalidUtf8: ++flawed[1]; break;
      case Flaw::kNulEscape: ++flawed[2]; break;
    }
  }
  std::lock_guard lock(jobs_mutex_);
  job.checksum = sum.hex();
  std::copy(std::begin(flawed), std::end(flawed), std::begin(job.flawed));
  job.summary_ready = true;
}

std::string Api::stats_json() {
  std::string out = "{\"requests\":{";
  {
    std::lock_guard lock(stats_mutex_);
    fmt::format_to(std::back_inserter(out), "\"total\":{},\"byRoute\":{{", total_requests_);
    bool first = true;
    for (const auto& [route, by_status] : counts_) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, route);
      out += ":{";
      bool first_status = true;
      for (const auto& [status, n] : by_status) {
        if (!first_status) out += ',';
        first_status = false;
        fmt::format_to(std::back_inserter(out), "\"{}\":{}", status, n);
      }
      out += '}';
    }
    out += "}},";
  }
  out += "\"faults\":{";
  for (std::size_t k = 0; k < static_cast<std::size_t>(FaultKind::kCount_); ++k) {
    if (k) out += ',';
    const auto kind = static_cast<FaultKind>(k);
    fmt::format_to(std::back_inserter(out), "\"{}\":{}", to_string(kind), faults_.fired(kind));
  }
  out += "},\"jobs\":[";
  std::vector<std::shared_ptr<Job>> jobs;
  {
    std::lock_guard lock(jobs_mutex_);
    jobs = jobs_;
  }
  const auto now = clock_.now();
  bool first = true;
  for (const auto& job : jobs) {
    ensure_summary(*job);
    if (!first) out += ',';
    first = false;
    out += '{';
    json_field(out, "jobId", job->data.job_id);
    out += ',';
    json_field(out, "type", job->type);
    out += ',';
    json_field(out, "state", state_name(*job, now, nullptr));
    std::lock_guard lock(jobs_mutex_);
    fmt::format_to(std::back_inserter(out),
                   ",\"records\":{},\"chunks\":{},\"checksum\":\"{}\",\"flawed\":{{\"malformed\":{},"
                   "\"invalidUtf8\":{},\"nulEscape\":{}}}}}",
                   job->data.records, job->chunk_order.size(), job->checksum, job->flawed[0], job->flawed[1],
                   job->flawed[2]);
  }
  out += "]}";
  return out;
}

}  // namespace gb::simulator::detail
