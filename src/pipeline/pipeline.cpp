#include "pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/poller.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "pipeline/detail/chunk_collector.hpp"
#include "pipeline/detail/landing_writer.hpp"
#include "pipeline/detail/thread_boundary.hpp"
#include "records/chunk_parser.hpp"

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

// Logs each retry with what the issue asks every line to carry.
auto retry_logger(const std::string& job_id, const std::string& chunk_id, const char* what) {
  return [job_id, chunk_id, what](const Error& e, int attempt, Ms delay) {
    log::warn(fmt::format("{} failed, retrying", what))
        .field("job_id", job_id)
        .field("chunk_id", chunk_id)
        .field("attempt", attempt)
        .field("status", e.http_status)
        .field("error", e.describe())
        .field("retry_in_ms", static_cast<std::int64_t>(delay.count()))
        .emit();
  };
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

 private:
  Sleeper& inner_;
  ProgressObserver& progress_;
};

// One finished download of a chunk, ready for the writer.
struct Downloaded {
  std::unique_ptr<sinks::BatchSource> source;
  detail::CollectorStats stats;
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
  void failed(const std::string& chunk_id, const std::string& reason) {
    std::lock_guard lock(mutex_);
    if (outcome_.chunks_failed++ == 0) outcome_.first_failure = fmt::format("chunk {}: {}", chunk_id, reason);
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

}  // namespace

struct ExportPipeline::Resolved {
  std::string job_id;
  bool created = false;
};

ExportPipeline::ExportPipeline(PipelineSettings settings, api::JobsApi& api, sinks::Sink& sink,
                               resilience::Patience& patience, Clock& clock, Sleeper& sleeper,
                               ProgressObserver& progress)
    : settings_(std::move(settings)),
      api_(api),
      sink_(sink),
      patience_(patience),
      clock_(clock),
      sleeper_(sleeper),
      progress_(progress),
      stop_(settings_.stop != nullptr ? *settings_.stop : process_stop()),
      budget_(std::make_unique<MemoryBudget>(settings_.memory_budget_bytes)) {
  limit_malloc_arenas();
  settings_.concurrency = std::max(1, settings_.concurrency);
  if (settings_.spill_dir.empty()) settings_.spill_dir = std::filesystem::temp_directory_path();
}

Result<ExportOutcome> ExportPipeline::run(const ExportRequest& request) {
  const std::string type = request.type.to_string();
  auto resolved = resolve_job(request);
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
    if (auto s = land_pages(request, outcome); !s.ok()) {
      progress_.job_finished(false);
      return std::move(s).error();
    }
  } else {
    land_bulk(request, *snapshot, outcome);
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
  sinks::JobInfo done{outcome.job_id, type, "landed", "", static_cast<std::int64_t>(outcome.chunks_total), ""};
  if (auto s = sink_.upsert_job(done); !s.ok()) return std::move(s).error();
  return outcome;
}

Result<ExportPipeline::Resolved> ExportPipeline::resolve_job(const ExportRequest& request) {
  const std::string type = request.type.to_string();
  if (request.job_id) {
    if (!is_valid_id(*request.job_id)) return invalid_input(fmt::format("--job-id: not a valid job id"));
    // Recorded at once, like a created job; a job the store already knows
    // keeps its row (and state) until the first poll updates it.
    auto known = sink_.status(*request.job_id);
    if (!known.ok()) return std::move(known).error();
    if (known->empty()) {
      sinks::JobInfo job{*request.job_id, type, "adopted", "", -1, ""};
      if (auto s = sink_.upsert_job(job); !s.ok()) return std::move(s).error();
    }
    return Resolved{*request.job_id, false};
  }
  const std::string hash = query_hash(request.type, request.query_json);
  auto unfinished = sink_.find_unfinished_job(type, hash, final_job_states());
  if (!unfinished.ok()) return std::move(unfinished).error();
  if (unfinished->has_value()) {
    log::info("adopting the unfinished job of the same export")
        .field("job_id", (*unfinished)->job_id)
        .field("state", (*unfinished)->state)
        .emit();
    return Resolved{(*unfinished)->job_id, false};
  }
  // Creating is not idempotent: retry only when the request never left (no
  // connection, no token, the breaker held it) or the server answered that it
  // did not take it (429, 503...). After a timeout or a reset, or a success
  // whose body was cut short, the job may exist, and a blind retry would
  // start a second one.
  int attempts = 0;
  auto created = resilience::retry(
      settings_.retry, patience_, sleeper_,
      [&](int n) -> Result<std::string> {
        attempts = n;
        auto id = api_.create_job(request.type, request.query_json);
        if (!id.ok() && id.error().transient() && !id.error().not_sent && id.error().http_status < 300) {
          Error e = std::move(id).error();
          e.kind = ErrorKind::kPermanent;
          e.message += " (the job may have been created: not retried; check the API and use --job-id)";
          return e;
        }
        return id;
      },
      retry_logger("", "", "creating the job"));
  if (!created.ok()) {
    Error e = std::move(created).error();
    e.message = fmt::format("creating the {} job failed after {} attempt(s): {}", type, attempts, e.message);
    return e;
  }
  if (!is_valid_id(*created)) return permanent_error("the API returned an invalid job id");
  // Record the job before anything else can fail, so a rerun adopts it.
  sinks::JobInfo job{*created, type, "created", "", -1, hash};
  if (auto s = sink_.upsert_job(job); !s.ok()) return std::move(s).error();
  log::info("job created").field("job_id", *created).field("type", type).emit();
  return Resolved{*created, true};
}

Result<api::JobSnapshot> ExportPipeline::poll(const ExportRequest& request, const std::string& job_id) {
  const std::string type = request.type.to_string();
  api::PollOptions options;
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
    if (auto s = sink_.upsert_job(job); !s.ok() && store_status.ok()) store_status = std::move(s);
  });
  if (!store_status.ok()) return std::move(store_status).error();
  return snapshot;
}

void ExportPipeline::land_bulk(const ExportRequest& request, const api::JobSnapshot& snapshot, ExportOutcome& outcome) {
  const std::string& job_id = outcome.job_id;
  Tally tally(outcome);

  std::unordered_set<std::string> landed;
  if (auto done = sink_.landed_chunks(job_id); done.ok()) {
    landed.insert(done->begin(), done->end());
  } else {
    tally.failed("*", "cannot read the ledger: " + done.error().describe());
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

  const records::KeyField key_field = request.type.key_field();
  // The writer's own memory: the sink's cache and a spilled chunk's batch
  // being read back. Taken first, while nothing else is held.
  Reservation writer_memory(*budget_);
  writer_memory.grow_waiting(settings_.store_memory_bytes + settings_.landing_batch_bytes + kUnaccountedBytes);
  detail::LandingWriter writer(sink_, settings_.landing_queue, clock_);

  auto fail = [&](const sinks::ChunkRef& ref, int attempts, const std::string& reason) {
    if (auto s = sink_.mark_failed(ref, attempts, reason); !s.ok()) {
      log::error("cannot record a failed chunk")
          .field("job_id", ref.job_id)
          .field("chunk_id", ref.chunk_id)
          .field("error", s.error().describe())
          .emit();
    }
    tally.failed(ref.chunk_id, reason);
    progress_.chunk_failed();
  };

  auto download_one = [&](const api::ChunkInfo& chunk) {
    const sinks::ChunkRef ref{job_id, chunk.chunk_id};
    if (!is_valid_id(chunk.chunk_id)) {
      tally.failed("(invalid id)", "the API listed a chunk with an invalid id");
      progress_.chunk_failed();
      return;
    }
    const SteadyTime start = clock_.now();
    int attempts = 0;
    auto result = resilience::retry(
        settings_.retry, patience_, sleeper_,
        [&](int n) -> Result<Downloaded> {
          attempts = n;
          // The download's own buffers: the batch being filled and the
          // record in progress. Taken before anything else is held (the
          // budget's rule), given back when the attempt ends.
          Reservation working(*budget_);
          working.grow_waiting(settings_.parse_batch_bytes + settings_.max_record_bytes);
          // A fresh parser and collector each attempt: nothing of a failed
          // attempt survives (a spill file goes with its collector).
          detail::ChunkCollector collector(settings_.spill_dir, settings_.spill_threshold_bytes, chunk.size,
                                           settings_.landing_batch_bytes, budget_.get());
          records::ChunkParserSettings parser_settings;
          parser_settings.key_field = key_field;
          parser_settings.batch_bytes = settings_.parse_batch_bytes;
          parser_settings.max_record_bytes = settings_.max_record_bytes;
          records::LargeRecordSink large{
              [&](std::uint64_t ordinal, const std::string& reason) { return collector.begin_large(ordinal, reason); },
              [&](std::string_view bytes) { return collector.add_large(bytes); },
              [&] { return collector.end_large(); }};
          records::ChunkParser parser(
              parser_settings, [&](records::RecordBatch& b) { return collector.add(b); }, std::move(large));
          // The parser's error (bad data, a full disk) comes back as the download's.
          const http::BodySink body_sink = [&](std::string_view bytes) { return parser.feed(bytes); };
          Status downloaded = api_.download_chunk(chunk, body_sink);
          if (!downloaded.ok()) return std::move(downloaded).error();
          if (auto s = parser.finish(); !s.ok()) return std::move(s).error();
          auto source = collector.take_source();
          if (!source.ok()) return std::move(source).error();
          return Downloaded{std::move(*source), collector.stats()};
        },
        retry_logger(job_id, chunk.chunk_id, "chunk download"));
    // Stopping: a chunk cut short is not a failure, and one received whole is
    // not landed now either; the next run downloads both.
    if (stop_.requested() || (!result.ok() && result.error().kind == ErrorKind::kInterrupted)) return;
    if (!result.ok() && patience_.spent()) return;  // not the chunk's fault: the next run fetches it
    if (!result.ok()) {
      const Error& e = result.error();
      log::error("chunk failed")
          .field("job_id", job_id)
          .field("chunk_id", chunk.chunk_id)
          .field("attempt", attempts)
          .field("status", e.http_status)
          .field("error", e.describe())
          .emit();
      fail(ref, attempts, fmt::format("{} (after {} attempt(s))", e.describe(), attempts));
      return;
    }
    log::debug("chunk downloaded")
        .field("job_id", job_id)
        .field("chunk_id", chunk.chunk_id)
        .field("attempt", attempts)
        .field("records", result->stats.records)
        .field("bytes", result->stats.raw_bytes)
        .field("spilled", result->stats.spilled ? "yes" : "no")
        .field("duration_s", seconds_since(clock_, start))
        .emit();
    detail::LandingItem item;
    item.chunk = ref;
    item.source = std::move(result->source);
    item.attempts = attempts;
    item.done = [&, start, attempts](const sinks::ChunkRef& c, const Result<sinks::LandResult>& landed_result) {
      if (!landed_result.ok()) {
        log::error("chunk landing failed")
            .field("job_id", c.job_id)
            .field("chunk_id", c.chunk_id)
            .field("attempt", attempts)
            .field("error", landed_result.error().describe())
            .emit();
        fail(c, attempts, "landing failed: " + landed_result.error().describe());
        return;
      }
      tally.landed(*landed_result);
      if (!landed_result->already_landed) {
        progress_.chunk_landed(landed_result->records, landed_result->quarantined, landed_result->bytes);
      }
      log_landed("chunk landed", c, attempts, seconds_since(clock_, start), *landed_result);
    };
    writer.submit(std::move(item));
  };

  std::atomic<std::size_t> next{0};
  const auto workers_n = std::min<std::size_t>(static_cast<std::size_t>(settings_.concurrency), pending.size());
  std::vector<std::thread> workers;
  workers.reserve(workers_n);
  for (std::size_t w = 0; w < workers_n; ++w) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < pending.size() && !stop_.requested() && !patience_.spent(); i = next++) {
        if (auto thrown = detail::run_catching([&] { download_one(*pending[i]); })) {
          fail(sinks::ChunkRef{job_id, pending[i]->chunk_id}, 1, "download failed: " + *thrown);
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  writer.finish();
  outcome.store_busy_seconds = std::chrono::duration<double>(writer.busy()).count();
  outcome.interrupted = stop_.requested() &&
                        outcome.chunks_landed + outcome.chunks_skipped + outcome.chunks_failed < outcome.chunks_total;
}

Status ExportPipeline::land_pages(const ExportRequest& request, ExportOutcome& outcome) {
  const std::string& job_id = outcome.job_id;
  Tally tally(outcome);
  std::unordered_set<std::string> landed;
  if (auto done = sink_.landed_chunks(job_id); done.ok()) {
    landed.insert(done->begin(), done->end());
  } else {
    return std::move(done).error();
  }
  const records::KeyField key_field = request.type.key_field();
  const std::string_view results_key = request.type.results_key();
  Reservation writer_memory(*budget_);
  writer_memory.grow_waiting(settings_.store_memory_bytes + kUnaccountedBytes);
  // Capacity 1: the next page downloads while the previous one is stored.
  detail::LandingWriter writer(sink_, 1, clock_);
  std::string cursor;
  progress_.chunks_known(0, 0);                 // the number of pages is known at the last one
  constexpr std::uint64_t kMaxPages = 999'999;  // chunk ids are six digits
  for (std::uint64_t page = 1;; ++page) {
    if (stop_.requested()) {
      outcome.interrupted = true;
      break;
    }
    if (page > kMaxPages) return permanent_error(fmt::format("job {}: more than {} pages", job_id, kMaxPages));
    const std::string chunk_id = fmt::format("{:06d}", page);
    const bool already = landed.count(chunk_id) != 0;
    const SteadyTime start = clock_.now();
    struct Fetched {
      std::string cursor;
      records::RecordBatch batch;
      Reservation held;
    };
    int attempts = 0;
    auto fetched = resilience::retry(
        settings_.retry, patience_, sleeper_,
        [&](int n) -> Result<Fetched> {
          attempts = n;
          auto p = api_.fetch_page(request.type, job_id, cursor, settings_.page_size);
          if (!p.ok()) return std::move(p).error();
          Fetched f{std::move(p->cursor), {}, Reservation(*budget_)};
          if (!already) {  // a landed page is fetched only for its cursor
            auto batch = records::parse_page(p->body, results_key, key_field, 0);
            if (!batch.ok()) return std::move(batch).error();
            f.batch = std::move(*batch);
            // The page waiting for the writer counts: wait until the one
            // before it has landed if the budget has no room. A page that
            // does not fit even then is already in memory: it goes on.
            (void)f.held.grow_or_wait(detail::batch_cost(f.batch));
            f.held.settle();
          }
          return f;
        },
        retry_logger(job_id, chunk_id, "page download"));
    outcome.chunks_total = std::max<std::uint64_t>(outcome.chunks_total, page);
    if (!fetched.ok() && (stop_.requested() || fetched.error().kind == ErrorKind::kInterrupted)) {
      outcome.interrupted = true;
      break;
    }
    if (!fetched.ok() && patience_.spent()) break;  // run() reports it; the next run resumes here
    if (!fetched.ok()) {
      const std::string reason = fmt::format("{} (after {} attempt(s))", fetched.error().describe(), attempts);
      if (auto s = sink_.mark_failed({job_id, chunk_id}, attempts, reason); !s.ok()) {
        log::error("cannot record a failed page").field("job_id", job_id).field("chunk_id", chunk_id).emit();
      }
      tally.failed(chunk_id, reason + "; later pages cannot be reached without its cursor");
      progress_.chunk_failed();
      break;
    }
    if (already) {
      tally.skipped();
      progress_.chunk_landed(0, 0, 0);
    } else {
      std::vector<records::RecordBatch> batches;
      batches.push_back(std::move(fetched->batch));
      detail::LandingItem item;
      item.chunk = {job_id, chunk_id};
      item.source = std::make_unique<detail::MemoryBatchSource>(std::move(batches), std::move(fetched->held));
      item.attempts = attempts;
      item.done = [&, start, attempts](const sinks::ChunkRef& c, const Result<sinks::LandResult>& r) {
        if (!r.ok()) {
          const std::string reason = "landing failed: " + r.error().describe();
          (void)sink_.mark_failed(c, attempts, reason);
          tally.failed(c.chunk_id, reason);
          progress_.chunk_failed();
          return;
        }
        tally.landed(*r);
        progress_.chunk_landed(r->records, r->quarantined, r->bytes);
        log_landed("page landed", c, attempts, seconds_since(clock_, start), *r);
      };
      writer.submit(std::move(item));
    }
    if (fetched->cursor.empty()) break;
    if (fetched->cursor == cursor) {
      tally.failed(chunk_id, "the API returned the same cursor again");
      break;
    }
    cursor = std::move(fetched->cursor);
  }
  writer.finish();
  outcome.store_busy_seconds = std::chrono::duration<double>(writer.busy()).count();
  return ok_status();
}

}  // namespace gb::pipeline
