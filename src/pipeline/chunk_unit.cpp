#include "pipeline/chunk_unit.hpp"

#include <fmt/format.h>

#include <utility>

#include "base/ids.hpp"
#include "base/log.hpp"
#include "pipeline/detail/chunk_collector.hpp"
#include "pipeline/detail/thread_boundary.hpp"
#include "records/chunk_parser.hpp"

namespace gb::pipeline {

void record_failure(sinks::StateStore& state, const sinks::ChunkRef& chunk, int attempts, const std::string& reason) {
  if (auto s = state.mark_failed(chunk, attempts, reason); !s.ok()) {
    log::error("cannot record a failed chunk")
        .field("job_id", chunk.job_id)
        .field("chunk_id", chunk.chunk_id)
        .field("error", s.error().describe())
        .emit();
  }
}

Result<FetchedChunk> ChunkUnit::fetch(const std::string& job_id, const api::ExportType& type,
                                      const api::ChunkInfo& chunk, const CallLimits& limits, Attempts& attempts) const {
  if (!is_valid_id(chunk.chunk_id)) return permanent_error("the API listed a chunk with an invalid id");
  const PipelineSettings& settings = ctx_.settings;
  MemoryBudget* budget = &ctx_.budget;
  resilience::RetryBounds bounds;
  bounds.clock = &ctx_.clock;
  bounds.limits = limits;
  bounds.deadline_hit = &attempts.deadline_hit;
  return resilience::retry(
      settings.retry, ctx_.patience, ctx_.sleeper, bounds,
      [&](int n) -> Result<FetchedChunk> {
        attempts.count = n;
        // The download's own buffers (the batch being filled, the record in
        // progress) and the chunk's batches until it lands. A chunk whose
        // announced size fits is admitted whole, buffers included, before
        // it starts: downloads then wait their turn instead of filling the
        // budget with partial chunks that would have to spill (ADR 0006).
        // Otherwise the buffers are taken alone, before anything else is
        // held (the budget's rule), and the chunk grows as it arrives.
        const std::uint64_t working_bytes = settings.parse_batch_bytes + settings.max_record_bytes;
        Reservation chunk_bytes(*budget);
        Reservation working(*budget);
        const bool admitted = chunk.size > 0 && chunk.size <= settings.spill_threshold_bytes &&
                              chunk_bytes.admit(working_bytes + detail::admission_cost(chunk.size));
        if (!admitted) working.grow_waiting(working_bytes);
        // A fresh parser and collector each attempt: nothing of a failed
        // attempt survives (a spill file goes with its collector).
        detail::ChunkCollector collector(settings.spill_dir, settings.spill_threshold_bytes, chunk.size,
                                         settings.landing_batch_bytes, std::move(chunk_bytes));
        records::ChunkParserSettings parser_settings;
        parser_settings.key_field = type.key_field();
        parser_settings.batch_bytes = settings.parse_batch_bytes;
        parser_settings.max_record_bytes = settings.max_record_bytes;
        parser_settings.leave_json_to_store = ctx_.landing.judges_json();
        records::LargeRecordSink large{
            [&](std::uint64_t ordinal, const std::string& reason) { return collector.begin_large(ordinal, reason); },
            [&](std::string_view bytes) { return collector.add_large(bytes); }, [&] { return collector.end_large(); }};
        records::ChunkParser parser(
            parser_settings, [&](records::RecordBatch& b) { return collector.add(b); }, std::move(large));
        // The parser's error (bad data, a full disk) comes back as the
        // download's; a cancel stops the download at the next write callback
        // (the transport checks it too, also while a transfer is idle).
        const http::BodySink body_sink = [&](std::string_view bytes) -> Status {
          if (limits.cancelled()) return interrupted_error("chunk download cancelled");
          return parser.feed(bytes);
        };
        Status downloaded = ctx_.api.download_chunk(chunk, body_sink, limits);
        if (!downloaded.ok()) return std::move(downloaded).error();
        if (auto s = parser.finish(); !s.ok()) return std::move(s).error();
        auto source = collector.take_source(ctx_.landing.judges_json());
        if (!source.ok()) return std::move(source).error();
        const auto& stats = collector.stats();
        FetchedChunk out;
        out.chunk = sinks::ChunkRef{job_id, chunk.chunk_id, type.to_string()};
        out.source = std::move(*source);
        out.records = stats.records;
        out.quarantined = stats.quarantined;
        out.raw_bytes = stats.raw_bytes;
        out.spilled = stats.spilled;
        return out;
      },
      [&](const Error& e, int attempt, std::chrono::milliseconds delay) {
        log::warn("chunk download failed, retrying")
            .field("job_id", job_id)
            .field("chunk_id", chunk.chunk_id)
            .field("attempt", attempt)
            .field("status", e.http_status)
            .field("error", e.describe())
            .field("retry_in_ms", static_cast<std::int64_t>(delay.count()))
            .emit();
      });
}

Result<sinks::LandResult> ChunkUnit::land(FetchedChunk& fetched, int attempts) const {
  if (!fetched.source) return internal_error("chunk " + fetched.chunk.chunk_id + ": nothing to land");
  auto landed = ctx_.landing.land(fetched.chunk, *fetched.source, attempts, std::nullopt);
  fetched.source.reset();  // frees the memory or removes the spill file at once
  return landed;
}

Result<sinks::LandResult> ChunkUnit::fetch_and_land(const std::string& job_id, const api::ExportType& type,
                                                    const api::ChunkInfo& chunk, const CallLimits& limits,
                                                    Attempts& attempts) const {
  // Whatever thread calls it, nothing is thrown out of it: an exception
  // (std::bad_alloc, a library's) becomes this chunk's internal error.
  Result<sinks::LandResult> out = internal_error("chunk " + chunk.chunk_id + ": not landed");
  if (auto thrown = detail::run_catching([&] {
        auto fetched = fetch(job_id, type, chunk, limits, attempts);
        out = fetched.ok() ? land(*fetched, attempts.count) : Result<sinks::LandResult>(std::move(fetched).error());
      })) {
    out = internal_error("chunk " + chunk.chunk_id + ": " + *thrown);
  }
  return out;
}

}  // namespace gb::pipeline
