#include "pipeline/job_resolver.hpp"

#include <fmt/format.h>

#include <utility>

#include "base/ids.hpp"
#include "base/log.hpp"

namespace gb::pipeline {

Result<ResolvedJob> JobResolver::with_stored(std::string job_id, bool created) {
  auto known = ctx_.state.status(job_id);
  if (!known.ok()) return std::move(known).error();
  ResolvedJob out;
  out.job_id = std::move(job_id);
  out.created = created;
  if (!known->empty()) {
    out.stored = known->front().job;
    out.first_seen_at = known->front().created_at;
  } else {
    out.stored.job_id = out.job_id;
  }
  return out;
}

Result<std::optional<ResolvedJob>> JobResolver::find(const ExportRequest& request) {
  if (request.job_id) {
    if (!is_valid_id(*request.job_id)) return invalid_input("--job-id: not a valid job id");
    auto job = with_stored(*request.job_id, false);
    if (!job.ok()) return std::move(job).error();
    return std::optional<ResolvedJob>{std::move(*job)};
  }
  if (request.idempotency_key) {
    auto known = ctx_.state.find_job_by_key(*request.idempotency_key);
    if (!known.ok()) return std::move(known).error();
    if (!known->has_value()) return std::optional<ResolvedJob>{};
    log::info("job found by its idempotency key: not creating another")
        .field("job_id", **known)
        .field("key", *request.idempotency_key)
        .emit();
    auto job = with_stored(**known, false);
    if (!job.ok()) return std::move(job).error();
    return std::optional<ResolvedJob>{std::move(*job)};
  }
  const std::string hash = query_hash(request.type, request.query_json);
  auto unfinished = ctx_.state.find_unfinished_job(request.type.to_string(), hash, final_job_states());
  if (!unfinished.ok()) return std::move(unfinished).error();
  if (!unfinished->has_value()) return std::optional<ResolvedJob>{};
  log::info("adopting the unfinished job of the same export")
      .field("job_id", (*unfinished)->job_id)
      .field("state", (*unfinished)->state)
      .emit();
  auto job = with_stored((*unfinished)->job_id, false);
  if (!job.ok()) return std::move(job).error();
  return std::optional<ResolvedJob>{std::move(*job)};
}

Result<ResolvedJob> JobResolver::resolve(const ExportRequest& request, const CallLimits& limits) {
  const std::string type = request.type.to_string();
  auto found = find(request);
  if (!found.ok()) return std::move(found).error();
  if (found->has_value()) {
    ResolvedJob job = std::move(**found);
    if (request.job_id && job.stored.state.empty() && job.first_seen_at.empty()) {
      // Recorded at once, like a created job; a job the store already knows
      // keeps its row (and state) until the first poll updates it.
      sinks::JobInfo row{job.job_id, type, "adopted", "", -1, ""};
      if (auto s = ctx_.state.upsert_job(row); !s.ok()) return std::move(s).error();
      return with_stored(job.job_id, false);
    }
    return job;
  }
  // Creating is not idempotent: retry only when the request never left (no
  // connection, no token, the breaker held it) or the server answered that it
  // did not take it (429, 503...). After a timeout or a reset, or a success
  // whose body was cut short, the job may exist, and a blind retry would
  // start a second one.
  int attempts = 0;
  resilience::RetryBounds bounds;
  bounds.clock = &ctx_.clock;
  bounds.limits = limits;
  auto created = resilience::retry(
      ctx_.settings.retry, ctx_.patience, ctx_.sleeper, bounds,
      [&](int n) -> Result<std::string> {
        attempts = n;
        auto id = ctx_.api.create_job(request.type, request.query_json, limits);
        if (!id.ok() && id.error().transient() && !id.error().not_sent && id.error().http_status < 300) {
          Error e = std::move(id).error();
          e.kind = ErrorKind::kPermanent;
          e.message += " (the job may have been created: not retried; check the API and use --job-id)";
          return e;
        }
        return id;
      },
      [](const Error& e, int attempt, std::chrono::milliseconds delay) {
        log::warn("creating the job failed, retrying")
            .field("attempt", attempt)
            .field("status", e.http_status)
            .field("error", e.describe())
            .field("retry_in_ms", static_cast<std::int64_t>(delay.count()))
            .emit();
      });
  if (!created.ok()) {
    Error e = std::move(created).error();
    e.message = fmt::format("creating the {} job failed after {} attempt(s): {}", type, attempts, e.message);
    return e;
  }
  if (!is_valid_id(*created)) return permanent_error("the API returned an invalid job id");
  // Record the job before anything else can fail, so a rerun (or a
  // redelivered submit) adopts it.
  sinks::JobInfo job{*created, type, "created", "", -1, query_hash(request.type, request.query_json)};
  if (request.idempotency_key) {
    auto recorded = ctx_.state.record_job_key(*request.idempotency_key, job);
    if (!recorded.ok()) {
      Error e = std::move(recorded).error();
      e.message =
          fmt::format("job {} was created but cannot be recorded under its idempotency key: {}", *created, e.message);
      return e;
    }
    if (*recorded != *created) {
      // Another delivery of the same submit recorded first: its job is the
      // one; ours is a duplicate the API will expire unused.
      log::error("a concurrent submit with the same idempotency key created another job; using the first")
          .field("job_id", *recorded)
          .field("duplicate_job_id", *created)
          .emit();
      return with_stored(*recorded, false);
    }
  } else if (auto s = ctx_.state.upsert_job(job); !s.ok()) {
    return std::move(s).error();
  }
  log::info("job created").field("job_id", *created).field("type", type).emit();
  return with_stored(*created, true);
}

}  // namespace gb::pipeline
