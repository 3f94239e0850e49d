#include "pipeline/page_unit.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "base/log.hpp"
#include "pipeline/detail/chunk_collector.hpp"
#include "pipeline/detail/thread_boundary.hpp"
#include "records/chunk_parser.hpp"

namespace gb::pipeline {

std::string page_id(std::uint64_t page) {
  return fmt::format("{:06d}", page);
}

Result<FetchedPage> PageUnit::fetch(const std::string& job_id, const api::ExportType& type, std::uint64_t page,
                                    const std::string& cursor, bool cursor_only, const CallLimits& limits,
                                    Attempts& attempts) const {
  if (page < 1 || page > kMaxPages)
    return permanent_error(fmt::format("job {}: more than {} pages", job_id, kMaxPages));
  const std::string chunk_id = page_id(page);
  const records::KeyField key_field = type.key_field();
  const std::string_view results_key = type.results_key();
  resilience::RetryBounds bounds;
  bounds.clock = &ctx_.clock;
  bounds.limits = limits;
  bounds.deadline_hit = &attempts.deadline_hit;
  return resilience::retry(
      ctx_.settings.retry, ctx_.patience, ctx_.sleeper, bounds,
      [&](int n) -> Result<FetchedPage> {
        attempts.count = n;
        auto p = ctx_.api.fetch_page(type, job_id, cursor, ctx_.settings.page_size, limits);
        if (!p.ok()) return std::move(p).error();
        FetchedPage f;
        f.chunk = sinks::ChunkRef{job_id, chunk_id, type.to_string()};
        f.next_cursor = std::move(p->cursor);
        if (!cursor_only) {
          auto batch = records::parse_page(p->body, results_key, key_field, 0, ctx_.landing.judges_json());
          if (!batch.ok()) return std::move(batch).error();
          // The page waiting for the writer counts: wait until the one
          // before it has landed if the budget has no room. A page that
          // does not fit even then is already in memory: it goes on.
          Reservation held(ctx_.budget);
          (void)held.grow_or_wait(detail::batch_cost(*batch));
          held.settle();
          std::vector<records::RecordBatch> batches;
          batches.push_back(std::move(*batch));
          f.source = std::make_unique<detail::MemoryBatchSource>(std::move(batches), std::move(held),
                                                                 ctx_.landing.judges_json());
        }
        return f;
      },
      [&](const Error& e, int attempt, std::chrono::milliseconds delay) {
        log::warn("page download failed, retrying")
            .field("job_id", job_id)
            .field("chunk_id", chunk_id)
            .field("attempt", attempt)
            .field("status", e.http_status)
            .field("error", e.describe())
            .field("retry_in_ms", static_cast<std::int64_t>(delay.count()))
            .emit();
      });
}

Result<sinks::LandResult> PageUnit::land(FetchedPage& fetched, int attempts) const {
  if (!fetched.source) return internal_error("page " + fetched.chunk.chunk_id + ": nothing to land");
  auto landed = ctx_.landing.land(fetched.chunk, *fetched.source, attempts, fetched.next_cursor);
  fetched.source.reset();
  return landed;
}

Result<FetchedPage> PageUnit::fetch_and_land(const std::string& job_id, const api::ExportType& type, std::uint64_t page,
                                             const std::string& cursor, const CallLimits& limits, Attempts& attempts,
                                             sinks::LandResult& landed) const {
  // Nothing is thrown out of it, as ChunkUnit::fetch_and_land.
  Result<FetchedPage> out = internal_error("page " + page_id(page) + ": not landed");
  if (auto thrown = detail::run_catching([&] {
        auto fetched = fetch(job_id, type, page, cursor, /*cursor_only=*/false, limits, attempts);
        if (!fetched.ok()) {
          out = std::move(fetched).error();
          return;
        }
        auto result = land(*fetched, attempts.count);
        if (!result.ok()) {
          out = std::move(result).error();
          return;
        }
        landed = *result;
        out = std::move(*fetched);
      })) {
    out = internal_error("page " + page_id(page) + ": " + *thrown);
  }
  return out;
}

}  // namespace gb::pipeline
