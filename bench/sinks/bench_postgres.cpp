// The PostgreSQL store's speed against this machine's raw COPY, measured in
// the same run on the same rows into the same table: a plain libpq COPY
// (binary format, one transaction per chunk, no ledger, no checks) versus
// PostgresSink::land, for each landing design and COPY format; then the
// effect of TOAST compression (pglz, PostgreSQL's default, vs lz4) on the
// sink's speed and the table's size. Every variant runs on a fresh database
// of one private server (src/testing/postgres_server.hpp, durable settings:
// fsync and synchronous_commit on); the variants alternate within each run,
// and medians of --runs runs are printed.
//   bench_postgres [--records 40000] [--chunks 20] [--runs 3] [--threads 1] [--record-bytes 3500]
// The rows are the simulator's conversation records padded to --record-bytes.
//
// --end-to-end: `genesys-bulk export`'s whole path instead of land() fed
// from memory. The simulator runs in-process with a bulk:interactions job of
// --records records padded to --record-bytes in --chunks chunks (identity on
// the wire; --gzip to compress). Each run exports the job into a fresh
// database exactly as `export` does (app::open_store, then ExportPipeline
// with app::pipeline_settings: download, parse, land through PostgresSink),
// checks that the exact set landed, then reads back the rows that landed
// (payload as text) and COPYs exactly those rows into the same `records`
// table of another fresh database with the raw COPY above (binary, one
// transaction per chunk, --threads connections). One export before the runs
// warms the simulator's chunk cache; it is not counted. A bulk record is a
// few fields and a filler string; --type conversations exports an analytics
// conversation details job instead (nested conversation records, padded the
// same way, as the modes above land), in --chunks cursor pages fetched one
// after another. For chunks, each run also measures the ceiling of any
// export here: the same chunks downloaded by the export's HTTP client, split
// by its splitter and COPYed as they arrive, with nothing checked (no parse,
// no jsonb check, no ledger), as a share of the raw COPY.
//   bench_postgres --end-to-end [--runs 3] [--concurrency N] [--memory-budget-mb M] [--gzip]
//                  [--type bulk:interactions|conversations]
#include <dirent.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "app/detail/verify.hpp"
#include "app/store_url.hpp"
#include "base/log.hpp"
#include "common/bench_records.hpp"
#include "records/array_splitter.hpp"
#include "simulator/data.hpp"
#include "simulator/simulator.hpp"
#include "sinks/postgres/detail/pg_copy.hpp"
#include "sinks/postgres/postgres_sink.hpp"
#include "testing/postgres_server.hpp"

namespace {

using gb::records::RecordBatch;
using gb::sinks::PostgresCopyFormat;
using gb::sinks::PostgresLandingMode;

using gb::bench::kBatchRecords;
using Chunk = gb::bench::BenchChunk;
using Data = gb::bench::BenchRecords;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_postgres: %s\n", what.c_str());
  std::exit(1);
}

// Hands a chunk's prepared batches to the sink (copies: the data is reused).
class CopySource final : public gb::sinks::BatchSource {
 public:
  explicit CopySource(const std::vector<RecordBatch>& batches) : batches_(batches) {}
  gb::Result<bool> next(RecordBatch& batch) override {
    if (next_ >= batches_.size()) return false;
    batch = batches_[next_++];
    return true;
  }

 private:
  const std::vector<RecordBatch>& batches_;
  std::size_t next_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `work(thread, i)` for every i below `n` on `threads` threads (dealt
// out in turn); the wall time.
template <class F>
double timed_parallel(std::size_t n, int threads, F work) {
  std::atomic<std::size_t> next{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t i = next++; i < n; i = next++) work(t, i);
    });
  }
  for (auto& th : pool) th.join();
  return seconds_since(t0);
}

// The same for every chunk of `data`: `land(thread, chunk)`.
template <class F>
double timed_parallel(const Data& data, int threads, F land) {
  return timed_parallel(data.chunks.size(), threads, [&](int t, std::size_t i) { land(t, data.chunks[i]); });
}

void exec_or_die(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  const auto st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) die(sql + ": " + PQresultErrorMessage(res));
  PQclear(res);
}

// One statement on a connection of its own. Not psql: forking this process
// (which holds the simulator's chunk cache) would make every page it touches
// afterwards fault once, copy-on-write, and charge that to the next export.
void execute(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) die(PQerrorMessage(conn));
  exec_or_die(conn, sql);
  PQfinish(conn);
}

std::string query_one(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) die(sql + ": " + PQresultErrorMessage(res));
  std::string v = PQgetvalue(res, 0, 0);
  PQclear(res);
  PQfinish(conn);
  return v;
}

std::vector<PGconn*> connect_all(const std::string& url, int n) {
  std::vector<PGconn*> conns;
  for (int t = 0; t < n; ++t) {
    conns.push_back(PQconnectdb(url.c_str()));
    if (PQstatus(conns.back()) != CONNECTION_OK) die(PQerrorMessage(conns.back()));
  }
  return conns;
}

// One chunk's rows COPYed into `records` in a transaction of their own, the
// way the raw baselines send them: encoded into a buffer that goes to libpq
// in 256 KiB pieces.
class ChunkCopy {
 public:
  ChunkCopy(PGconn* conn, PostgresCopyFormat format) : conn_(conn), format_(format) {
    exec_or_die(conn_, "BEGIN");
    PGresult* res = PQexec(conn_, gb::sinks::detail::pg::copy_records_sql("records", format_).c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) die(PQresultErrorMessage(res));
    PQclear(res);
    gb::sinks::detail::pg::copy_header(buf_, format_);
  }

  void row(std::string_view job_id, std::string_view chunk_id, std::uint64_t ordinal, std::string_view key,
           std::string_view payload) {
    gb::sinks::detail::pg::copy_record_row(buf_, format_, job_id, chunk_id, ordinal, key, payload);
    if (buf_.size() >= 256 * 1024) put();
  }

  void commit() {
    gb::sinks::detail::pg::copy_trailer(buf_, format_);
    put();
    if (PQputCopyEnd(conn_, nullptr) != 1) die(PQerrorMessage(conn_));
    while (PGresult* r = PQgetResult(conn_)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) die(PQresultErrorMessage(r));
      PQclear(r);
    }
    exec_or_die(conn_, "COMMIT");
  }

 private:
  void put() {
    if (PQputCopyData(conn_, buf_.data(), static_cast<int>(buf_.size())) != 1) die(PQerrorMessage(conn_));
    buf_.clear();
  }

  PGconn* conn_;
  PostgresCopyFormat format_;
  std::string buf_;
};

// The baseline: what libpq's COPY does with the same rows, nothing else.
double raw_copy(const std::string& url, const Data& data, int threads, PostgresCopyFormat format) {
  const std::vector<PGconn*> conns = connect_all(url, threads);
  const double t = timed_parallel(data, threads, [&](int thread, const Chunk& chunk) {
    ChunkCopy copy(conns[static_cast<std::size_t>(thread)], format);
    for (const auto& batch : chunk.batches) {
      for (const auto& r : batch.records) copy.row(data.job_id, chunk.id, r.ordinal, r.key, r.raw);
    }
    copy.commit();
  });
  for (auto* c : conns) PQfinish(c);
  return t;
}

double sink_land(const std::string& url, const Data& data, int threads, PostgresLandingMode mode,
                 PostgresCopyFormat format) {
  gb::sinks::PostgresSettings s;
  s.url = url;
  s.pool_size = threads;
  s.landing = mode;
  s.copy_format = format;
  auto sink = gb::sinks::PostgresSink::open(s);
  if (!sink) die(sink.error().describe());
  std::atomic<std::uint64_t> landed{0};
  const double t = timed_parallel(data, threads, [&](int /*thread*/, const Chunk& chunk) {
    CopySource source(chunk.batches);
    auto r = (*sink)->land({"bench-job", chunk.id, "conversations"}, source, 1, std::nullopt);
    if (!r) die(r.error().describe());
    landed += r->records;
  });
  if (landed != data.records) die(fmt::format("landed {} of {} records", landed.load(), data.records));
  return t;
}

// CPU seconds the server has used: the postmaster and its live children
// (backends, checkpointer, WAL writer; each calls setsid(), so they are not
// in the postmaster's process group) plus what its reaped children used (a
// backend's CPU moves there when its connection closes). On a shared
// machine this says more than the wall time, which other load stretches.
double server_cpu_seconds(pid_t postmaster) {
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double total = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  while (const dirent* e = ::readdir(proc)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::FILE* f = std::fopen(("/proc/" + name + "/stat").c_str(), "r");
    if (f == nullptr) continue;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* after = std::strrchr(buf, ')');  // the command may hold spaces
    if (after == nullptr) continue;
    // Fields from 3 (state): pid comm state ppid pgrp ... utime(14) stime(15) cutime(16) cstime(17)
    char state = 0;
    long ppid = 0, pgrp = 0;
    unsigned long long skip = 0, utime = 0, stime = 0;
    long long cutime = 0, cstime = 0;
    if (std::sscanf(after + 2, "%c %ld %ld %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lld %lld", &state, &ppid,
                    &pgrp, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &utime, &stime, &cutime,
                    &cstime) != 15) {
      continue;
    }
    if (ppid != postmaster && std::stol(name) != postmaster) continue;
    total += static_cast<double>(utime + stime) / tick;
    if (std::stol(name) == postmaster) total += static_cast<double>(cutime + cstime) / tick;
  }
  ::closedir(proc);
  return total;
}

double client_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// --end-to-end ---------------------------------------------------------------

struct E2eOptions {
  std::uint64_t records = 0;
  std::uint64_t chunks = 0;
  std::size_t record_bytes = 0;
  int runs = 0;
  int threads = 1;                     // the raw COPY's connections
  int concurrency = 0;                 // 0: the export's default
  std::uint64_t memory_budget_mb = 0;  // 0: the export's default
  bool gzip = false;
  std::string type = "bulk:interactions";
};

struct ExportRun {
  double seconds = 0;
  double store_busy = 0;  // time inside land(), summed over the writer threads
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // the records' bytes as downloaded
  int concurrency = 0;      // chunk downloads at once
  int landing_threads = 0;  // the pipeline's writers: the store's landings at once, at most the downloads
  double server_cpu = 0;    // during the run only (not the schema's creation, not the check)
  double client_cpu = 0;    // this process's, the in-process simulator's included
};

// What `export` is configured with against the in-process simulator.
gb::config::Settings export_settings(const gb::simulator::Server& sim, const E2eOptions& o) {
  gb::config::Settings settings;
  settings.hosts.api_url = settings.hosts.login_url = sim.base_url();
  settings.credentials = {"sim-client", "sim-secret"};
  settings.rate.requests = 1'000'000;
  if (o.concurrency > 0) settings.download.concurrency = o.concurrency;
  settings.download.page_size = static_cast<int>((o.records + o.chunks - 1) / o.chunks);  // cursor pages
  return settings;
}

// `genesys-bulk export --sink URL --job-id JOB` in-process, as bench_pipeline
// does it for SQLite; dies unless exactly the simulator's set landed.
ExportRun export_once(const gb::simulator::Server& sim, const std::string& job_id, const std::string& url,
                      const E2eOptions& o, pid_t postmaster) {
  const gb::config::Settings settings = export_settings(sim, o);
  auto store = gb::app::open_store(url, "");
  if (!store.ok()) die(store.error().describe());
  auto stack = gb::app::ApiStack::build(settings, gb::system_clock(), gb::system_sleeper(), o.gzip);
  if (!stack.ok()) die(stack.error().describe());
  auto ps = gb::app::pipeline_settings(settings);
  ps.poll_interval = std::chrono::milliseconds(50);
  if (o.memory_budget_mb > 0) ps.memory_budget_bytes = o.memory_budget_mb << 20;
  gb::pipeline::NullProgress quiet;
  gb::pipeline::ExportPipeline pipeline(ps, (*stack)->jobs(), *store->state, *store->landing, (*stack)->patience(),
                                        gb::system_clock(), gb::system_sleeper(), quiet);
  gb::pipeline::ExportRequest request;
  request.type = *gb::api::ExportType::parse(o.type);
  request.job_id = job_id;
  // The store's connections stay open over the run, so their CPU counts live.
  const double s0 = server_cpu_seconds(postmaster);
  const double c0 = client_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto outcome = pipeline.run(request);
  const double seconds = seconds_since(t0);
  const double c1 = client_cpu_seconds();
  const double s1 = server_cpu_seconds(postmaster);
  if (!outcome.ok()) die("export: " + outcome.error().describe());
  auto landed = gb::app::read_landed(*store->landing, job_id);
  if (!landed.ok()) die(landed.error().describe());
  if (const auto check = gb::app::check_job(sim, job_id, *landed); !check.exact()) {
    die("the export did not land the exact set: " + check.summary());
  }
  ExportRun run;
  run.seconds = seconds;
  run.store_busy = outcome->store_busy_seconds;
  run.records = outcome->records;
  run.bytes = outcome->bytes;
  // Cursor pages download one after another; as many writers land them as for chunks.
  const bool pages = request.type.paged();
  run.concurrency = pages ? 1 : ps.concurrency;
  run.landing_threads = std::clamp(store->landing->max_concurrent_landings(), 1, ps.concurrency);
  run.server_cpu = s1 - s0;
  run.client_cpu = c1 - c0;
  return run;
}

// The most any export can reach here: the same chunks downloaded from the
// same simulator with the export's own HTTP client (bulk jobs), split into
// records by its splitter and COPYed as they arrive on `threads`
// connections, one transaction per chunk, with nothing checked: no parse,
// no jsonb check, no ledger, no memory budget. Keys come from `rows` (what
// the export landed). The seconds it took.
double transport_only(const gb::simulator::Server& sim, const std::string& job_id, const std::string& url,
                      const Data& rows, const E2eOptions& o) {
  std::map<std::string, std::vector<std::string_view>> keys;  // chunk id -> key by ordinal
  for (const auto& chunk : rows.chunks) {
    auto& by_ordinal = keys[chunk.id];
    for (const auto& batch : chunk.batches) {
      for (const auto& r : batch.records) {
        if (r.ordinal >= by_ordinal.size()) by_ordinal.resize(r.ordinal + 1);
        by_ordinal[r.ordinal] = r.key;
      }
    }
  }
  auto stack = gb::app::ApiStack::build(export_settings(sim, o), gb::system_clock(), gb::system_sleeper(), o.gzip);
  if (!stack.ok()) die(stack.error().describe());
  const auto type = *gb::api::ExportType::parse(o.type);
  auto job = (*stack)->jobs().get_job(type, job_id);
  if (!job.ok()) die(job.error().describe());
  const std::vector<PGconn*> conns = connect_all(url, o.threads);
  const double seconds = timed_parallel(job->chunks.size(), o.threads, [&](int thread, std::size_t i) {
    const gb::api::ChunkInfo& chunk = job->chunks[i];
    const auto& by_ordinal = keys.at(chunk.chunk_id);
    ChunkCopy copy(conns[static_cast<std::size_t>(thread)], PostgresCopyFormat::kBinary);
    std::uint64_t ordinal = 0;
    gb::records::ArraySplitter splitter({}, [&](std::string_view element) {
      copy.row(job_id, chunk.chunk_id, ordinal, by_ordinal.at(ordinal), element);
      ++ordinal;
      return gb::ok_status();
    });
    auto fed = (*stack)->jobs().download_chunk(chunk, [&](std::string_view bytes) { return splitter.feed(bytes); });
    if (!fed.ok()) die(fed.error().describe());
    if (auto done = splitter.finish(); !done.ok()) die(done.error().describe());
    copy.commit();
  });
  for (auto* c : conns) PQfinish(c);
  return seconds;
}

// The rows that landed in `url`'s `records`, as the raw COPY's input: one
// Chunk per chunk_id (in order), payload as jsonb's text.
Data read_back(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) die(PQerrorMessage(conn));
  if (PQsendQuery(conn,
                  "SELECT job_id, chunk_id, ordinal, record_key, payload::text FROM records "
                  "ORDER BY chunk_id, ordinal") != 1 ||
      PQsetSingleRowMode(conn) != 1) {
    die(PQerrorMessage(conn));
  }
  Data data;
  data.job_id.clear();
  while (PGresult* res = PQgetResult(conn)) {
    const auto st = PQresultStatus(res);
    if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK) die(PQresultErrorMessage(res));
    for (int row = 0; row < PQntuples(res); ++row) {
      const std::string job = PQgetvalue(res, row, 0), chunk = PQgetvalue(res, row, 1);
      if (data.job_id.empty()) data.job_id = job;
      if (job != data.job_id) die("read back: more than one job");
      if (data.chunks.empty() || data.chunks.back().id != chunk) data.chunks.push_back({chunk, {}});
      auto& batches = data.chunks.back().batches;
      if (batches.empty() || batches.back().records.size() >= kBatchRecords) batches.emplace_back();
      std::string raw(PQgetvalue(res, row, 4), static_cast<std::size_t>(PQgetlength(res, row, 4)));
      data.bytes += raw.size();
      batches.back().raw_bytes += raw.size();
      batches.back().records.push_back({std::stoull(PQgetvalue(res, row, 2)), PQgetvalue(res, row, 3), std::move(raw)});
      ++data.records;
    }
    PQclear(res);
  }
  PQfinish(conn);
  return data;
}

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  char buf[128] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? buf : "?";
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

int end_to_end(gb::fixtures::PostgresServer& server, const E2eOptions& o) {
  gb::simulator::Settings sim;
  sim.job_seconds = 0;
  sim.rate_limit_requests = 1'000'000;
  sim.cache_bytes = std::size_t{1} << 30;  // every chunk rendered once, then served from memory
  sim.record_bytes = o.record_bytes;
  sim.jobs = {{o.type, o.records, (o.records + o.chunks - 1) / o.chunks}};
  auto simulator = gb::simulator::Server::start(sim);
  if (!simulator.ok()) die("simulator: " + simulator.error().describe());
  const std::string job_id = (*simulator)->jobs()[0].job_id;

  int db_counter = 0;
  auto fresh_db = [&] {
    const std::string name = fmt::format("bench_e2e_{}", db_counter++);
    execute(server.url("postgres"), "CREATE DATABASE " + name);
    return server.url(name);
  };
  auto schema_db = [&] {  // the schema exactly as the sink makes it, outside the timing
    const std::string url = fresh_db();
    gb::sinks::PostgresSettings s;
    s.url = url;
    if (auto sink = gb::sinks::PostgresSink::open(s); !sink) die(sink.error().describe());
    return url;
  };
  (void)export_once(**simulator, job_id, fresh_db(), o, server.pid());  // warms the simulator's chunk cache
  const bool chunks = !gb::api::ExportType::parse(o.type)->paged();

  std::printf(
      "end to end: %s, %llu records of ~%zu B in %llu chunks, %s on the wire, %d runs; "
      "load average %s\n",
      o.type.c_str(), static_cast<unsigned long long>(o.records), o.record_bytes,
      static_cast<unsigned long long>(o.chunks), o.gzip ? "gzip" : "identity", o.runs, load_average().c_str());
  std::vector<double> e2e_rps, e2e_mbs, raw_rps, raw_mbs, ratios, busy;
  std::vector<double> e2e_server_cpu, e2e_client_cpu, raw_server_cpu, raw_client_cpu;
  std::vector<double> transport_rps, transport_ratios;
  ExportRun last;
  for (int r = 0; r < o.runs; ++r) {
    const std::string e2e_url = fresh_db();
    last = export_once(**simulator, job_id, e2e_url, o, server.pid());
    const double e2e_server = last.server_cpu, e2e_client = last.client_cpu;

    const Data rows = read_back(e2e_url);
    if (rows.records != last.records) {
      die(fmt::format("read back {} rows, the export landed {}", rows.records, last.records));
    }
    const std::string raw_url = schema_db();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the set-up's backends reaped
    const double s0 = server_cpu_seconds(server.pid());
    const double c0 = client_cpu_seconds();
    const double raw_t = raw_copy(raw_url, rows, o.threads, PostgresCopyFormat::kBinary);
    const double c1 = client_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the run's backends reaped
    const double s1 = server_cpu_seconds(server.pid());
    if (query_one(raw_url, "SELECT count(*) FROM records") != std::to_string(rows.records)) die("raw COPY: count");

    const double n = static_cast<double>(last.records);
    e2e_rps.push_back(n / last.seconds);
    e2e_mbs.push_back(static_cast<double>(last.bytes) / 1e6 / last.seconds);
    raw_rps.push_back(static_cast<double>(rows.records) / raw_t);
    raw_mbs.push_back(static_cast<double>(rows.bytes) / 1e6 / raw_t);
    ratios.push_back(e2e_rps.back() / raw_rps.back());
    e2e_server_cpu.push_back(e2e_server);
    e2e_client_cpu.push_back(e2e_client);
    raw_server_cpu.push_back(s1 - s0);
    raw_client_cpu.push_back(c1 - c0);
    busy.push_back(100.0 * last.store_busy / last.seconds);
    std::printf(
        "  run %d  export %6.2f s %7.0f records/s %5.1f MB/s (server CPU %5.2f s, client CPU %5.2f s, in land() "
        "%3.0f%%) | raw COPY %6.2f s %7.0f records/s %5.1f MB/s (server CPU %5.2f s, client CPU %5.2f s) | "
        "%5.1f%%\n",
        r + 1, last.seconds, e2e_rps.back(), e2e_mbs.back(), e2e_server, e2e_client, busy.back(), raw_t, raw_rps.back(),
        raw_mbs.back(), s1 - s0, c1 - c0, 100.0 * ratios.back());
    if (chunks) {
      const std::string url = schema_db();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const double ts0 = server_cpu_seconds(server.pid()), tc0 = client_cpu_seconds();
      const double t = transport_only(**simulator, job_id, url, rows, o);
      const double tc1 = client_cpu_seconds();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const double ts1 = server_cpu_seconds(server.pid());
      if (query_one(url, "SELECT count(*) FROM records") != std::to_string(rows.records)) die("transport: count");
      transport_rps.push_back(static_cast<double>(rows.records) / t);
      transport_ratios.push_back(transport_rps.back() / raw_rps.back());
      std::printf(
          "         download + split + COPY, nothing checked %6.2f s %7.0f records/s (server CPU %5.2f s, client CPU "
          "%5.2f s) | %5.1f%% of raw COPY\n",
          t, transport_rps.back(), ts1 - ts0, tc1 - tc0, 100.0 * transport_ratios.back());
    }
    std::fflush(stdout);
  }
  std::printf(
      "\nmedians of %d runs: %d download(s) at once, %d landing thread(s), raw COPY on %d "
      "connection(s); load average %s\n",
      o.runs, last.concurrency, last.landing_threads, o.threads, load_average().c_str());
  std::printf(
      "  export, end to end     %7.0f records/s %5.1f MB/s (time in land(), summed over the writers: %3.0f%% of the "
      "run)\n",
      median(e2e_rps), median(e2e_mbs), median(busy));
  std::printf("  raw COPY, same rows    %7.0f records/s %5.1f MB/s\n", median(raw_rps), median(raw_mbs));
  std::printf("  export / raw COPY      %5.1f%% (median of the runs' ratios; target >= 85%%)\n",
              100.0 * median(ratios));
  if (chunks) {
    std::printf(
        "  download + split + COPY, nothing checked (the most any export reaches here): %7.0f records/s, %5.1f%% of "
        "raw COPY\n",
        median(transport_rps), 100.0 * median(transport_ratios));
  }
  // Where the time goes: the server's CPU per record, and this process's
  // (for the export: the in-process simulator serving the chunks, the
  // downloads, the parse and the COPY encoding; for the raw COPY: encoding).
  const double n = static_cast<double>(last.records);
  std::printf(
      "  server CPU: export %.2f s (%.0f records per CPU s), raw COPY %.2f s (%.0f records per CPU s): %.1f%%\n",
      median(e2e_server_cpu), n / median(e2e_server_cpu), median(raw_server_cpu), n / median(raw_server_cpu),
      100.0 * median(raw_server_cpu) / median(e2e_server_cpu));
  std::printf("  client CPU (simulator included): export %.2f s, raw COPY %.2f s\n", median(e2e_client_cpu),
              median(raw_client_cpu));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"PostgresSink against raw COPY into the same table"};
  std::uint64_t records = 40000, chunks = 20;
  int runs = 3, threads = 1;
  std::size_t record_bytes = 3500;
  app.add_option("--records", records);
  app.add_option("--chunks", chunks);
  app.add_option("--runs", runs);
  app.add_option("--threads", threads);
  app.add_option("--record-bytes", record_bytes);
  bool end_to_end_mode = false, gzip = false;
  int concurrency = 0;
  std::uint64_t memory_budget_mb = 0;
  std::string type = "bulk:interactions";
  app.add_flag("--end-to-end", end_to_end_mode,
               "genesys-bulk export's whole path (simulator, download, parse, land) against raw COPY of its rows");
  app.add_flag("--gzip", gzip, "--end-to-end: gzip on the wire (default identity)");
  app.add_option("--concurrency", concurrency, "--end-to-end: chunk downloads at once (default: the export's)");
  app.add_option("--memory-budget-mb", memory_budget_mb, "--end-to-end: the export's memory budget (default: its own)");
  app.add_option("--type", type, "--end-to-end: the job, bulk:interactions (default) or conversations")
      ->check(CLI::IsMember({"bulk:interactions", "conversations"}));
  CLI11_PARSE(app, argc, argv);
  gb::log::init(gb::log::Format::kText, gb::log::Level::kWarn);
  if (!gb::fixtures::PostgresServer::available()) die("PostgreSQL 15 is not installed (or not running as root)");

  gb::fixtures::PostgresOptions options;
  options.settings = {"fsync=on", "full_page_writes=on", "synchronous_commit=on", "shared_buffers=256MB",
                      "max_wal_size=4GB"};
  gb::fixtures::PostgresServer server(options);
  if (end_to_end_mode) {
    return end_to_end(server,
                      {records, chunks, record_bytes, runs, threads, concurrency, memory_budget_mb, gzip, type});
  }
  const Data data = gb::bench::make_bench_records(records, chunks, record_bytes);
  std::printf("%llu records, %.1f MB (%.0f B/record) in %llu chunks, %d landing thread(s), %d runs\n",
              static_cast<unsigned long long>(data.records), static_cast<double>(data.bytes) / 1e6,
              static_cast<double>(data.bytes) / static_cast<double>(data.records),
              static_cast<unsigned long long>(data.chunks.size()), threads, runs);

  int db_counter = 0;
  // A fresh database with our schema (made by the sink, outside the timing).
  auto fresh = [&](const std::string& compression) {
    const std::string name = fmt::format("bench_{}", db_counter++);
    server.psql("CREATE DATABASE " + name);
    const std::string url = server.url(name);
    gb::sinks::PostgresSettings s;
    s.url = url;
    if (auto sink = gb::sinks::PostgresSink::open(s); !sink) die(sink.error().describe());
    server.psql("ALTER TABLE records ALTER COLUMN payload SET COMPRESSION " + compression, name);
    return url;
  };

  struct Variant {
    std::string name;
    std::string compression;
    std::function<double(const std::string&)> run;
  };
  const std::vector<Variant> variants = {
      {"raw COPY (binary)", "pglz",
       [&](const std::string& u) { return raw_copy(u, data, threads, PostgresCopyFormat::kBinary); }},
      {"sink: ledger first, binary", "pglz",
       [&](const std::string& u) {
         return sink_land(u, data, threads, PostgresLandingMode::kLedgerFirst, PostgresCopyFormat::kBinary);
       }},
      {"sink: ledger first, text", "pglz",
       [&](const std::string& u) {
         return sink_land(u, data, threads, PostgresLandingMode::kLedgerFirst, PostgresCopyFormat::kText);
       }},
      {"sink: staging + ON CONFLICT, binary", "pglz",
       [&](const std::string& u) {
         return sink_land(u, data, threads, PostgresLandingMode::kStaging, PostgresCopyFormat::kBinary);
       }},
      {"raw COPY (binary), lz4", "lz4",
       [&](const std::string& u) { return raw_copy(u, data, threads, PostgresCopyFormat::kBinary); }},
      {"sink: ledger first, binary, lz4", "lz4",
       [&](const std::string& u) {
         return sink_land(u, data, threads, PostgresLandingMode::kLedgerFirst, PostgresCopyFormat::kBinary);
       }},
  };
  std::map<std::string, std::vector<double>> times, server_cpu, client_cpu;
  std::map<std::string, std::string> sizes;
  for (int r = 0; r < runs; ++r) {
    for (const auto& v : variants) {
      const std::string url = fresh(v.compression);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the set-up's backends reaped
      const double s0 = server_cpu_seconds(server.pid());
      const double c0 = client_cpu_seconds();
      const double t = v.run(url);
      const double c1 = client_cpu_seconds();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the run's backends reaped
      const double s1 = server_cpu_seconds(server.pid());
      times[v.name].push_back(t);
      server_cpu[v.name].push_back(s1 - s0);
      client_cpu[v.name].push_back(c1 - c0);
      sizes[v.name] = query_one(url,
                                "SELECT pg_size_pretty(pg_total_relation_size('records')) || ', payloads ' || "
                                "coalesce((SELECT string_agg(m || ' ' || n, ', ' ORDER BY m) FROM (SELECT "
                                "coalesce(pg_column_compression(payload), 'uncompressed') AS m, count(*) AS n FROM "
                                "records GROUP BY 1) x), '')");
      std::printf("  run %d  %-36s %6.2f s wall %8.0f records/s   server CPU %5.2f s, client CPU %5.2f s\n", r + 1,
                  v.name.c_str(), t, static_cast<double>(data.records) / t, s1 - s0, c1 - c0);
      std::fflush(stdout);
    }
  }
  std::printf("\nmedians of %d runs (%d thread(s)); %% of the raw COPY with the same compression:\n", runs, threads);
  const std::string raw_pglz = "raw COPY (binary)", raw_lz4 = "raw COPY (binary), lz4";
  for (const auto& v : variants) {
    const std::string& base = v.compression == "lz4" ? raw_lz4 : raw_pglz;
    const double t = median(times[v.name]);
    const double cpu = median(server_cpu[v.name]);
    std::printf(
        "  %-36s %7.0f records/s %5.1f MB/s (%5.1f%% wall) | %7.0f records per server CPU s (%5.1f%%) | "
        "client CPU %5.2f s | %s\n",
        v.name.c_str(), static_cast<double>(data.records) / t, static_cast<double>(data.bytes) / 1e6 / t,
        100.0 * median(times[base]) / t, static_cast<double>(data.records) / cpu,
        100.0 * median(server_cpu[base]) / cpu, median(client_cpu[v.name]), sizes[v.name].c_str());
  }
  return 0;
}
