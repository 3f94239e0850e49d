#include "pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/poller.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "pipeline/chunk_unit.hpp"
#include "pipeline/detail/landing_writer.hpp"
#include "pipeline/detail/thread_boundary.hpp"
#include "pipeline/job_resolver.hpp"
#include "pipeline/page_unit.hpp"

namespace gb::pipeline {
namespace {

using Ms = std::chrono::milliseconds;

// Heap that no reservation names: the allocator's bookkeeping, curl's and
// TLS's buffers, thread stacks. Measured at about 4% above the reserved bytes
// (ADR 0006); reserved once so the heap stays within the budget.
constexpr std::uint64_t kUnaccountedBytes = 2ull << 20;

double seconds_since(const Clock& clock, SteadyTime start) {
  return std::chrono::duration<double>(clock.now() - start).count();
}

// What a run that was asked to stop says (Ctrl-C): the summary line.
Error stopped_error(const ExportOutcome& o, bool paged) {
  const char* unit = paged ? (o.chunks_landed == 1 ? "page" : "pages") : (o.chunks_landed == 1 ? "chunk" : "chunks");
  return interrupted_error(
      fmt::format("{} {} landed in this run; run the same command again to resume", o.chunks_landed, unit));
}

// Tells the progress display how long the poller waits before it asks again.
class ReportingSleeper final : public Sleeper {
 public:
  ReportingSleeper(Sleeper& inner, ProgressObserver& progress) : inner_(inner), progress_(progress) {}
  void sleep_for(Duration d) override {
    progress_.job_waiting(d);
    inner_.sleep_for(d);
  }
  bool sleep_or_cancel(Duration d, const StopSignal* cancel) override {
    progress_.job_waiting(d);
    return inner_.sleep_or_cancel(d, cancel);
  }

 private:
  Sleeper& inner_;
  ProgressObserver& progress_;
};

// The log line of a chunk or page the writer has landed (or found landed).
void log_landed(const char* what, const sinks::ChunkRef& c, int attempts, double duration_s,
                const sinks::LandResult& r) {
  log::info(what)
      .field("job_id", c.job_id)
      .field("chunk_id", c.chunk_id)
      .field("attempt", attempts)
      .field("status", r.already_landed ? "already_landed" : "landed")
      .field("records", r.records)
      .field("quarantined", r.quarantined)
      .field("duration_s", duration_s)
      .emit();
}

// The chunks and pages one run accounts for, shared by the download threads
// and the writer thread.
class Tally {
 public:
  explicit Tally(ExportOutcome& outcome) : outcome_(outcome) {}
  void landed(const sinks::LandResult& r) {
    std::lock_guard lock(mutex_);
    if (r.already_landed) {
      ++outcome_.chunks_skipped;
      return;
    }
    ++outcome_.chunks_landed;
    outcome_.records += r.records;
    outcome_.quarantined += r.quarantined;
    outcome_.bytes += r.bytes;
  }
  void skipped() {
    std::lock_guard lock(mutex_);
    ++outcome_.chunks_skipped;
  }
  // transient: trying again may land it (the failure was transient).
  void failed(const std::string& chunk_id, const std::string& reason, bool transient) {
    std::lock_guard lock(mutex_);
    if (outcome_.chunks_failed++ == 0) outcome_.first_failure = fmt::format("chunk {}: {}", chunk_id, reason);
    if (!transient) outcome_.failures_transient = false;
  }

 private:
  std::mutex mutex_;
  ExportOutcome& outcome_;
};

// glibc gives each thread that allocates under contention its own arena and
// keeps freed memory per arena: batches parsed by five download threads and
// freed by the writer took the process 40-55 MB above what one arena needs
// (measured, ADR 0006). One arena keeps up with this allocation rate; set
// once, before the first download thread starts.
void limit_malloc_arenas() {
  static std::once_flag once;
  std::call_once(once, [] { ::mallopt(M_ARENA_MAX, 1); });
}

// The one path of a chunk or page this run gives up on: its ledger row
// (record_failure logs a store that cannot write it), the run's tally (with
// `note` for what it means beyond the chunk), the progress display.
void give_up(sinks::StateStore& state, Tally& tally, ProgressObserver& progress, const sinks::ChunkRef& chunk,
             int attempts, const std::string& reason, bool transient, const char* note = "") {
  record_failure(state, chunk, attempts, reason);
  tally.failed(chunk.chunk_id, reason + note, transient);
  progress.chunk_failed();
}

}  // namespace

ExportPipeline::ExportPipeline(PipelineSettings settings, api::JobsApi& api, sinks::StateStore& state,
                               sinks::Landing& landing, resilience::Patience& patience, Clock& clock, Sleeper& sleeper,
                               ProgressObserver& progress)
    : settings_(std::move(settings)),
      api_(api),
      state_(state),
      landing_(landing),
      patience_(patience),
      clock_(clock),
      sleeper_(sleeper),
      progress_(progress),
      stop_(settings_.stop != nullptr ? *settings_.stop : process_stop()),
      budget_(std::make_unique<MemoryBudget>(settings_.memory_budget_bytes)),
      units_{settings_, api_, state_, landing_, patience_, clock_, sleeper_, *budget_} {
  limit_malloc_arenas();
  settings_.concurrency = std::max(1, settings_.concurrency);
  if (settings_.spill_dir.empty()) settings_.spill_dir = std::filesystem::temp_directory_path();
}

Result<ExportOutcome> ExportPipeline::run(const ExportRequest& request) {
  const std::string type = request.type.to_string();
  const CallLimits unbounded;
  auto resolved = JobResolver(units_).resolve(request);
  if (!resolved.ok()) return stop_.requested() ? stopped_error({}, request.type.paged()) : std::move(resolved).error();
  ExportOutcome outcome;
  outcome.job_id = resolved->job_id;
  outcome.created = resolved->created;
  progress_.job_started(outcome.job_id, type);

  auto snapshot = poll(request, outcome.job_id);
  if (!snapshot.ok()) {
    progress_.job_finished(false);
    if (stop_.requested()) return stopped_error(outcome, request.type.paged());
    return std::move(snapshot).error();
  }
  outcome.final_state = snapshot->state;
  if (snapshot->phase == api::JobPhase::kFailed) {
    progress_.job_finished(false);
    std::string why = fmt::format("job {} ended {}", outcome.job_id, snapshot->state);
    if (!snapshot->error_message.empty()) why += ": " + snapshot->error_message;
    return permanent_error(why + "; nothing to export");
  }

  const auto started = clock_.now();
  if (request.type.paged()) {
    if (auto s = land_pages(request, outcome, unbounded); !s.ok()) {
      progress_.job_finished(false);
      return std::move(s).error();
    }
  } else {
    land_bulk(request, *snapshot, outcome, unbounded);
  }
  outcome.landing_seconds = seconds_since(clock_, started);
  if (outcome.interrupted) {
    progress_.job_finished(false);
    log::info("export interrupted")
        .field("job_id", outcome.job_id)
        .field("chunks_landed", outcome.chunks_landed)
        .emit();
    return stopped_error(outcome, request.type.paged());
  }
  if (auto ended = patience_.spent()) {
    // The API has been down too long: what did land stays; the rest waits
    // for the next run, which skips the landed chunks.
    progress_.job_finished(false);
    ended->message = fmt::format("job {}: {} of {} chunks landed, then {}", outcome.job_id,
                                 outcome.chunks_landed + outcome.chunks_skipped, outcome.chunks_total, ended->message);
    return *ended;
  }
  const bool complete = outcome.chunks_failed == 0;
  progress_.job_finished(complete);
  log::info(complete ? "job exported" : "job incomplete")
      .field("job_id", outcome.job_id)
      .field("chunks", outcome.chunks_total)
      .field("chunks_landed", outcome.chunks_landed)
      .field("chunks_skipped", outcome.chunks_skipped)
      .field("chunks_failed", outcome.chunks_failed)
      .field("records", outcome.records)
      .field("quarantined", outcome.quarantined)
      .field("duration_s", outcome.landing_seconds)
      .field("store_busy_s", outcome.store_busy_seconds)
      .emit();
  if (!complete) {
    return permanent_error(
        fmt::format("job {}: {} of {} chunks could not be landed (first: {}); run the same "
                    "command again to retry them",
                    outcome.job_id, outcome.chunks_failed, outcome.chunks_total, outcome.first_failure));
  }
  if (auto s = finish_job(outcome.job_id, type, outcome.chunks_total); !s.ok()) return std::move(s).error();
  return outcome;
}

Status ExportPipeline::finish_job(const std::string& job_id, const std::string& type, std::uint64_t chunks_total) {
  const sinks::JobInfo done{job_id, type, "landed", "", static_cast<std::int64_t>(chunks_total), ""};
  if (auto s = state_.upsert_job(done); !s.ok()) return s;
  auto rows = state_.status(job_id);
  if (!rows.ok()) return std::move(rows).error();
  if (rows->empty()) return internal_error("job " + job_id + ": not in the state store after landing");
  return landing_.finish_job(done, rows->front().chunks);
}

Result<api::JobSnapshot> ExportPipeline::poll(const ExportRequest& request, const std::string& job_id) {
  const std::string type = request.type.to_string();
  api::PollOptions options;
  options.first_interval = settings_.first_poll_interval;
  options.interval = settings_.poll_interval;
  options.max_job_wait = settings_.max_job_wait;
  options.retry = settings_.retry;
  ReportingSleeper sleeper(sleeper_, progress_);
  api::JobPoller poller(api_, options, patience_, clock_, sleeper);
  std::string last_state;
  Status store_status = ok_status();
  auto snapshot = poller.poll(request.type, job_id, [&](const api::JobSnapshot& snap, int) {
    if (snap.state == last_state) return;
    last_state = snap.state;
    progress_.job_state(last_state);
    log::info("job state").field("job_id", job_id).field("state", last_state).emit();
    // The store shows the API's latest state, so `status` and a rerun see it.
    sinks::JobInfo job{job_id,
                       type,
                       last_state,
                       snap.error_message,
                       snap.chunks.empty() ? -1 : static_cast<std::int64_t>(snap.chunks.size()),
                       ""};
    if (auto s = state_.upsert_job(job); !s.ok() && store_status.ok()) store_status = std::move(s);
  });
  if (!store_status.ok()) return std::move(store_status).error();
  return snapshot;
}

void ExportPipeline::land_bulk(const ExportRequest& request, const api::JobSnapshot& snapshot, ExportOutcome& outcome,
                               const CallLimits& limits) {
  const std::string& job_id = outcome.job_id;
  Tally tally(outcome);

  std::unordered_set<std::string> landed;
  if (auto done = state_.landed_chunks(job_id); done.ok()) {
    landed.insert(done->begin(), done->end());
  } else {
    tally.failed("*", "cannot read the ledger: " + done.error().describe(), done.error().transient());
    return;
  }
  std::vector<const api::ChunkInfo*> pending;
  std::set<std::string> seen;
  for (const auto& chunk : snapshot.chunks) {
    if (!seen.insert(chunk.chunk_id).second) continue;  // listed twice: one download is enough
    if (landed.count(chunk.chunk_id) != 0) continue;
    pending.push_back(&chunk);
  }
  outcome.chunks_total = seen.size();
  outcome.chunks_skipped = seen.size() - pending.size();
  progress_.chunks_known(outcome.chunks_total, outcome.chunks_skipped);
  if (pending.empty()) return;

  const auto past_deadline = [&] { return limits.deadline && clock_.now() >= *limits.deadline; };
  std::atomic<bool> deadline_hit{false};
  // The writers' own memory: the store's (Landing::memory_bytes: a page
  // cache, COPY or upload buffers) and each writer's batch of a spilled
  // chunk being read back. Taken first, while nothing else is held.
  Reservation writer_memory(*budget_);
  const int writers = landing_threads();
  writer_memory.grow_waiting(landing_.memory_bytes() +
                             static_cast<std::uint64_t>(writers) * settings_.landing_batch_bytes + kUnaccountedBytes);
  detail::LandingWriter writer(landing_, writers, settings_.landing_queue, clock_);
  const ChunkUnit unit(units_);

  auto download_one = [&](const api::ChunkInfo& chunk) {
    const sinks::ChunkRef ref{job_id, chunk.chunk_id, request.type.to_string()};
    if (!is_valid_id(chunk.chunk_id)) {
      tally.failed("(invalid id)", "the API listed a chunk with an invalid id", false);
      progress_.chunk_failed();
      return;
    }
    const SteadyTime start = clock_.now();
    Attempts attempts;
    auto result = unit.fetch(job_id, request.type, chunk, limits, attempts);
    // Stopping: a chunk cut short is not a failure, and one received whole is
    // not landed now either; the next run downloads both.
    if (stopping(limits) || (!result.ok() && result.error().kind == ErrorKind::kInterrupted)) return;
    if (!result.ok() && patience_.spent()) return;  // not the chunk's fault: the next run fetches it
    if (!result.ok() && attempts.deadline_hit) {    // nor is a slice's end: the next slice fetches it
      deadline_hit = true;
      return;
    }
    if (!result.ok()) {
      const Error& e = result.error();
      log::error("chunk failed")
          .field("job_id", job_id)
          .field("chunk_id", chunk.chunk_id)
          .field("attempt", attempts.count)
          .field("status", e.http_status)
          .field("error", e.describe())
          .emit();
      give_up(state_, tally, progress_, ref, attempts.count,
              fmt::format("{} (after {} attempt(s))", e.describe(), attempts.count), e.transient());
      return;
    }
    log::debug("chunk downloaded")
        .field("job_id", job_id)
        .field("chunk_id", chunk.chunk_id)
        .field("attempt", attempts.count)
        .field("records", result->records)
        .field("bytes", result->raw_bytes)
        .field("spilled", result->spilled ? "yes" : "no")
        .field("duration_s", seconds_since(clock_, start))
        .emit();
    detail::LandingItem item;
    item.chunk = ref;
    item.source = std::move(result->source);
    item.attempts = attempts.count;
    item.done = [&, start, n = attempts.count](const sinks::ChunkRef& c,
                                               const Result<sinks::LandResult>& landed_result) {
      if (!landed_result.ok()) {
        log::error("chunk landing failed")
            .field("job_id", c.job_id)
            .field("chunk_id", c.chunk_id)
            .field("attempt", n)
            .field("error", landed_result.error().describe())
            .emit();
        give_up(state_, tally, progress_, c, n, "landing failed: " + landed_result.error().describe(),
                landed_result.error().transient());
        return;
      }
      tally.landed(*landed_result);
      if (!landed_result->already_landed) {
        progress_.chunk_landed(landed_result->records, landed_result->quarantined, landed_result->bytes);
      }
      log_landed("chunk landed", c, n, seconds_since(clock_, start), *landed_result);
    };
    writer.submit(std::move(item));
  };

  std::atomic<std::size_t> next{0};
  const auto workers_n = std::min<std::size_t>(static_cast<std::size_t>(settings_.concurrency), pending.size());
  std::vector<std::thread> workers;
  workers.reserve(workers_n);
  for (std::size_t w = 0; w < workers_n; ++w) {
    workers.emplace_back([&] {
      // Nothing leaves a download thread (std::thread would terminate the
      // process): what a chunk throws fails that chunk; what the loop itself
      // throws ends this thread's share, and the other threads take the rest.
      auto thrown = detail::run_catching([&] {
        for (std::size_t i = next++; i < pending.size() && !stopping(limits) && !past_deadline() && !patience_.spent();
             i = next++) {
          if (auto failed = detail::run_catching([&] { download_one(*pending[i]); })) {
            give_up(state_, tally, progress_, sinks::ChunkRef{job_id, pending[i]->chunk_id, request.type.to_string()},
                    1, "download failed: " + *failed, false);
          }
        }
      });
      if (thrown)
        (void)detail::run_catching([&] { log::error("download thread failed").field("error", *thrown).emit(); });
    });
  }
  for (auto& t : workers) t.join();
  writer.finish();
  outcome.store_busy_seconds = std::chrono::duration<double>(writer.busy()).count();
  const bool unaccounted =
      outcome.chunks_landed + outcome.chunks_skipped + outcome.chunks_failed < outcome.chunks_total;
  outcome.interrupted = stopping(limits) && unaccounted;
  outcome.deadline_reached = !outcome.interrupted && unaccounted && (deadline_hit || past_deadline());
}

Status ExportPipeline::land_pages(const ExportRequest& request, ExportOutcome& outcome, const CallLimits& limits) {
  const std::string& job_id = outcome.job_id;
  Tally tally(outcome);
  // Landed pages, with the cursor of the page after each when its row has it.
  std::map<std::string, std::optional<std::string>> landed;
  if (auto done = state_.landed_chunk_cursors(job_id); done.ok()) {
    for (auto& c : *done) landed.emplace(std::move(c.chunk_id), std::move(c.next_cursor));
  } else {
    return std::move(done).error();
  }
  Reservation writer_memory(*budget_);
  writer_memory.grow_waiting(landing_.memory_bytes() + kUnaccountedBytes);  // as land_bulk's
  // Pages come one after another, but a store that takes several landings
  // at once lands several pages at once while the next ones download: each
  // page's ledger row keeps the cursor of the page after it, so a rerun
  // resumes from any set of landed pages. One writer for SQLite: the next
  // page downloads while the previous one is stored.
  const int writers = landing_threads();
  detail::LandingWriter writer(landing_, writers, static_cast<std::size_t>(writers), clock_);
  const PageUnit unit(units_);
  std::string cursor;
  progress_.chunks_known(0, 0);  // the number of pages is known at the last one
  for (std::uint64_t page = 1;; ++page) {
    if (stopping(limits)) {
      outcome.interrupted = true;
      break;
    }
    if (limits.deadline && clock_.now() >= *limits.deadline) {
      outcome.deadline_reached = true;
      break;
    }
    if (page > kMaxPages) return permanent_error(fmt::format("job {}: more than {} pages", job_id, kMaxPages));
    const std::string chunk_id = page_id(page);
    const auto known = landed.find(chunk_id);
    std::string next_cursor;
    if (known != landed.end() && known->second) {
      // Landed, and its row has the next page's cursor: nothing to fetch.
      outcome.chunks_total = std::max<std::uint64_t>(outcome.chunks_total, page);
      tally.skipped();
      progress_.chunk_landed(0, 0, 0);
      next_cursor = *known->second;
    } else {
      const bool already = known != landed.end();  // a row from before cursors were kept
      const SteadyTime start = clock_.now();
      Attempts attempts;
      auto fetched = unit.fetch(job_id, request.type, page, cursor, /*cursor_only=*/already, limits, attempts);
      outcome.chunks_total = std::max<std::uint64_t>(outcome.chunks_total, page);
      if (!fetched.ok() && (stopping(limits) || fetched.error().kind == ErrorKind::kInterrupted)) {
        outcome.interrupted = true;
        break;
      }
      if (!fetched.ok() && patience_.spent()) break;  // run() reports it; the next run resumes here
      if (!fetched.ok() && attempts.deadline_hit) {   // the next slice resumes here
        outcome.deadline_reached = true;
        break;
      }
      if (!fetched.ok()) {
        give_up(state_, tally, progress_, {job_id, chunk_id, request.type.to_string()}, attempts.count,
                fmt::format("{} (after {} attempt(s))", fetched.error().describe(), attempts.count),
                fetched.error().transient(), "; later pages cannot be reached without its cursor");
        break;
      }
      if (already) {
        tally.skipped();
        progress_.chunk_landed(0, 0, 0);
      } else {
        detail::LandingItem item;
        item.chunk = fetched->chunk;
        item.source = std::move(fetched->source);
        item.attempts = attempts.count;
        item.next_cursor = fetched->next_cursor;
        item.done = [&, start, n = attempts.count](const sinks::ChunkRef& c, const Result<sinks::LandResult>& r) {
          if (!r.ok()) {
            give_up(state_, tally, progress_, c, n, "landing failed: " + r.error().describe(), r.error().transient());
            return;
          }
          tally.landed(*r);
          progress_.chunk_landed(r->records, r->quarantined, r->bytes);
          log_landed("page landed", c, n, seconds_since(clock_, start), *r);
        };
        writer.submit(std::move(item));
      }
      next_cursor = std::move(fetched->next_cursor);
    }
    if (next_cursor.empty()) break;
    if (next_cursor == cursor) {
      tally.failed(chunk_id, "the API returned the same cursor again", false);
      break;
    }
    cursor = std::move(next_cursor);
  }
  writer.finish();
  outcome.store_busy_seconds = std::chrono::duration<double>(writer.busy()).count();
  return ok_status();
}

}  // namespace gb::pipeline
