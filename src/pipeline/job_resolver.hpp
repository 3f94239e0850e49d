#pragma once
// Which job an export works on: the one it names, the one its idempotency
// key recorded, the unfinished one of the same query, or a new one. A job
// is in the store before resolve() returns, so a rerun (or a redelivered
// submit) finds it.
#include <optional>
#include <string>

#include "base/result.hpp"
#include "base/stop.hpp"
#include "pipeline/export_types.hpp"
#include "pipeline/unit_context.hpp"
#include "sinks/types.hpp"

namespace gb::pipeline {

struct ResolvedJob {
  std::string job_id;
  bool created = false;       // created by this resolve(); false: named, found by key, or adopted
  sinks::JobInfo stored;      // the store's row after resolving (its last state: "landed" when done)
  std::string first_seen_at;  // when the store first recorded the job (ISO 8601 UTC)
};

// Thread-safe if the context's parts are. Uses ctx.settings.retry for the
// create; ctx.budget is not used.
class JobResolver {
 public:
  explicit JobResolver(const UnitContext& ctx) : ctx_(ctx) {}

  // In this order:
  // - request.job_id: that job (kInvalidInput for a bad id), recorded as
  //   "adopted" if the store does not know it;
  // - request.idempotency_key recorded: the job it names, whatever its state
  //   (a finished one too): never a second create;
  // - no key, and an unfinished job of the same (type, query) in the store:
  //   that one;
  // - else creates one (retried only when the API cannot have taken it, see
  //   the .cpp), then at once records it: with a key, key -> job id and the
  //   job's row in one transaction, before anything else can fail.
  // Waits (backoff, rate budget) stay within `limits`; a cancel returns
  // kInterrupted. Errors as the API and the store return them.
  Result<ResolvedJob> resolve(const ExportRequest& request, const CallLimits& limits = {});

  // The same lookups without creating: nullopt when resolve() would create.
  Result<std::optional<ResolvedJob>> find(const ExportRequest& request);

 private:
  Result<ResolvedJob> with_stored(std::string job_id, bool created);

  UnitContext ctx_;
};

}  // namespace gb::pipeline
