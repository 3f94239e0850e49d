// End-to-end export speed against this machine's raw SQLite insert rate,
// measured in the same run on the same rows, and the peak memory of landing
// one huge chunk. Prints medians; never a pass/fail test.
//   bench_pipeline [--records 100000] [--chunks 20] [--runs 5] [--huge-mb 500] [--dir DIR]
//                  [--concurrency 5] [--memory-budget-mb 48]
//
// 1. conversations: an analytics conversation details job of `records`
//    records read as `chunks` cursor pages, from the simulator in-process
//    over loopback HTTP, parsed and landed in SQLite by the real pipeline.
// 2. bulk: a bulk:interactions job with records padded to the same mean size,
//    in `chunks` chunks downloaded 5 at a time.
// 3. raw: the same rows (rendered by the simulator's generator, so byte for
//    byte what the export landed) inserted with a plain prepared INSERT, one
//    row at a time, one transaction per chunk, into the same schema with the
//    same pragmas (the file is created by SqliteSink, then written directly).
// 4. peak RSS (VmHWM) of `genesys-bulk export`, a child running nothing but
//    the export with its default memory budget: the bulk job of 2. (5
//    downloads at once), one 100 MB chunk and one chunk of --huge-mb MB.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "app/detail/verify.hpp"
#include "app/store_url.hpp"
#include "base/log.hpp"
#include "common/bench_stats.hpp"
#include "simulator/simulator.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Run {
  double seconds = 0;
  double store_busy = 0;  // of `seconds`, inside Sink::land (export runs only)
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

int g_concurrency = 5;
std::uint64_t g_budget_mb = 0;  // 0: the export's default

Run export_once(const gb::simulator::Server& server, const std::string& type, const std::string& job_id,
                const std::string& db, int page_size, bool compress) {
  gb::bench::remove_sqlite_files(db);
  gb::config::Settings settings;
  settings.hosts.api_url = settings.hosts.login_url = server.base_url();
  settings.credentials = {"sim-client", "sim-secret"};
  settings.rate.requests = 1'000'000;
  settings.download.page_size = page_size;
  auto store = gb::app::open_store("sqlite:" + db, "");
  auto stack = gb::app::ApiStack::build(settings, gb::system_clock(), gb::system_sleeper(), compress);
  if (!store.ok() || !stack.ok()) throw std::runtime_error("cannot build the export");
  auto ps = gb::app::pipeline_settings(settings);
  ps.poll_interval = std::chrono::milliseconds(50);
  ps.concurrency = g_concurrency;
  if (g_budget_mb > 0) ps.memory_budget_bytes = g_budget_mb << 20;
  gb::pipeline::NullProgress quiet;
  gb::pipeline::ExportPipeline pipeline(ps, (*stack)->jobs(), *store->state, *store->landing, (*stack)->patience(),
                                        gb::system_clock(), gb::system_sleeper(), quiet);
  gb::pipeline::ExportRequest request;
  request.type = *gb::api::ExportType::parse(type);
  request.job_id = job_id;
  const auto start = Clock::now();
  auto outcome = pipeline.run(request);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!outcome.ok()) throw std::runtime_error(outcome.error().describe());
  auto landed = gb::app::read_landed(db, job_id);
  if (!landed.ok() || !gb::app::check_job(server, job_id, *landed).exact()) {
    throw std::runtime_error("the export did not land the exact set");
  }
  return {seconds, outcome->store_busy_seconds, outcome->records, outcome->bytes};
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string e = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(e);
  }
}

// The same rows, a plain prepared INSERT per row.
Run raw_once(const gb::simulator::DataParams& params, std::uint64_t chunks, const std::string& db) {
  gb::bench::remove_sqlite_files(db);
  {  // The schema and file settings exactly as the sink makes them.
    gb::sinks::SqliteSettings s;
    s.path = db;
    if (!gb::sinks::SqliteSink::open(s).ok()) throw std::runtime_error("cannot create the file");
  }
  std::vector<std::string> rows;
  std::vector<std::string> keys;
  rows.reserve(params.records);
  for (std::uint64_t i = 0; i < params.records; ++i) {
    std::string r;
    gb::simulator::append_record(r, params, i);
    rows.push_back(std::move(r));
    keys.push_back(gb::simulator::record_key(params, i));
  }
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  exec(h, "PRAGMA journal_mode=WAL");
  exec(h, "PRAGMA synchronous=NORMAL");
  exec(h, fmt::format("PRAGMA cache_size=-{}", gb::sinks::SqliteSettings{}.cache_size_kib).c_str());
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(h,
                     "INSERT INTO records (job_id, chunk_id, ordinal, record_key, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                     -1, &stmt, nullptr);
  const std::uint64_t per_chunk = (params.records + chunks - 1) / chunks;
  Run run;
  const auto start = Clock::now();
  for (std::uint64_t c = 0; c < chunks; ++c) {
    exec(h, "BEGIN IMMEDIATE");
    const std::string chunk_id = fmt::format("{:06d}", c + 1);
    for (std::uint64_t i = c * per_chunk; i < std::min(params.records, (c + 1) * per_chunk); ++i) {
      sqlite3_bind_text(stmt, 1, params.job_id.data(), static_cast<int>(params.job_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(stmt, 2, chunk_id.data(), static_cast<int>(chunk_id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(stmt, 3, static_cast<sqlite3_int64>(i - c * per_chunk));
      sqlite3_bind_text(stmt, 4, keys[i].data(), static_cast<int>(keys[i].size()), SQLITE_STATIC);
      sqlite3_bind_text(stmt, 5, rows[i].data(), static_cast<int>(rows[i].size()), SQLITE_STATIC);
      if (sqlite3_step(stmt) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(h));
      sqlite3_reset(stmt);
      run.bytes += rows[i].size();
      ++run.records;
    }
    exec(h, "COMMIT");
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(stmt);
  sqlite3_close(h);
  return run;
}

struct Rates {
  double records_per_s;
  double mb_per_s;
  double store_busy_percent;
};

Rates rates(const std::vector<Run>& runs) {
  std::vector<double> r, m, b;
  for (const auto& x : runs) {
    r.push_back(static_cast<double>(x.records) / x.seconds);
    m.push_back(static_cast<double>(x.bytes) / 1e6 / x.seconds);
    b.push_back(100.0 * x.store_busy / x.seconds);
  }
  return {gb::bench::median(r), gb::bench::median(m), gb::bench::median(b)};
}

// Peak RSS (MB) of the binary exporting `job_id` into `db`, sampled every
// 2 ms until it exits; -1 on failure.
double export_peak_rss_mb(const gb::simulator::Server& server, const std::string& type, const std::string& job_id,
                          const std::string& db, const std::string& dir) {
  gb::bench::remove_sqlite_files(db);
  const std::string base = server.base_url();
  std::vector<std::string> args = {GB_BINARY,
                                   "export",
                                   "--api-url",
                                   base,
                                   "--login-url",
                                   base,
                                   "--type",
                                   type,
                                   "--job-id",
                                   job_id,
                                   "--sink",
                                   "sqlite:" + db,
                                   "--poll-interval",
                                   "1",
                                   "--no-progress",
                                   "--log-level",
                                   "warn",
                                   "--spill-dir",
                                   dir,
                                   "--no-compression",
                                   "--concurrency",
                                   std::to_string(g_concurrency)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string id = "GENESYS_CLIENT_ID=sim-client", secret = "GENESYS_CLIENT_SECRET=sim-secret";
  std::vector<char*> envp = {id.data(), secret.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, GB_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  long peak_kib = 0;
  int status = 0;
  for (;;) {
    peak_kib = std::max(peak_kib, gb::bench::vm_hwm_kib(pid));
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) return -1;
    usleep(2000);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return static_cast<double>(peak_kib) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"bench_pipeline: end-to-end export rate vs raw SQLite, and peak RSS of a huge chunk"};
  std::uint64_t records = 100'000;
  std::uint64_t chunks = 20;
  int runs = 5;
  std::uint64_t huge_mb = 500;
  std::string dir = fs::temp_directory_path().string();
  cli.add_option("--records", records);
  cli.add_option("--chunks", chunks);
  cli.add_option("--runs", runs);
  cli.add_option("--huge-mb", huge_mb, "0 skips the peak RSS measurement");
  cli.add_option("--dir", dir, "Where the SQLite files go");
  cli.add_option("--concurrency", g_concurrency, "Chunk downloads at once (the export's default is 5)");
  cli.add_option("--memory-budget-mb", g_budget_mb,
                 "The in-process exports' memory budget (default: the export's); the peak RSS runs keep the default");
  CLI11_PARSE(cli, argc, argv);
  gb::log::init(gb::log::Format::kText, gb::log::Level::kError);
  const std::string db = (fs::path(dir) / "bench-pipeline.db").string();
  const std::uint64_t per_chunk = (records + chunks - 1) / chunks;

  gb::simulator::Settings sim;
  sim.job_seconds = 0;
  sim.rate_limit_requests = 1'000'000;
  sim.cache_bytes = std::size_t{1} << 30;  // every chunk rendered once, then served from memory
  sim.jobs = {{"conversations", records, per_chunk}};
  auto server = gb::simulator::Server::start(sim);
  if (!server.ok()) {
    fmt::print(stderr, "simulator: {}\n", server.error().describe());
    return 1;
  }
  const std::string conv_job = (*server)->jobs()[0].job_id;
  const auto conv_params = *(*server)->data_params(conv_job);

  // Cursor pages: the simulator renders each page on request (no cache).
  std::vector<Run> pages, raw;
  for (int i = 0; i < runs; ++i) {
    pages.push_back(export_once(**server, "conversations", conv_job, db, static_cast<int>(per_chunk), false));
    raw.push_back(raw_once(conv_params, chunks, db));
  }
  const double mean_bytes = static_cast<double>(pages[0].bytes) / static_cast<double>(pages[0].records);
  server->reset();

  // Bulk chunks of the same size and count: records padded to the conversations' mean size.
  gb::simulator::Settings bulk_sim = sim;
  bulk_sim.jobs = {{"bulk:interactions", records, per_chunk}};
  bulk_sim.record_bytes = static_cast<std::size_t>(mean_bytes);
  auto bulk_server = gb::simulator::Server::start(bulk_sim);
  if (!bulk_server.ok()) return 1;
  const std::string bulk_job = (*bulk_server)->jobs()[0].job_id;
  const auto bulk_params = *(*bulk_server)->data_params(bulk_job);
  (void)export_once(**bulk_server, "bulk:interactions", bulk_job, db, 1000, false);  // warm the simulator's cache
  (void)export_once(**bulk_server, "bulk:interactions", bulk_job, db, 1000, true);   // and its stored gzip chunks
  std::vector<Run> bulk, bulk_gzip, bulk_raw;
  std::vector<double> bulk_rss;
  for (int i = 0; i < runs; ++i) {
    bulk.push_back(export_once(**bulk_server, "bulk:interactions", bulk_job, db, 1000, false));
    bulk_gzip.push_back(export_once(**bulk_server, "bulk:interactions", bulk_job, db, 1000, true));
    bulk_raw.push_back(raw_once(bulk_params, chunks, db));
    if (huge_mb > 0) bulk_rss.push_back(export_peak_rss_mb(**bulk_server, "bulk:interactions", bulk_job, db, dir));
  }
  bulk_server->reset();

  const Rates p = rates(pages), r = rates(raw), b = rates(bulk), bg = rates(bulk_gzip), br = rates(bulk_raw);
  fmt::print("bench_pipeline: {} records in {} chunks, {:.0f} bytes per record, median of {} runs\n", records, chunks,
             mean_bytes, runs);
  fmt::print(
      "  bulk chunks, {} downloads at once, identity: {:>8.0f} records/s {:>7.1f} MB/s  {:>5.1f}% of raw "
      "(target >= 85%); store busy {:.0f}% of the run\n",
      g_concurrency, b.records_per_s, b.mb_per_s, 100.0 * b.records_per_s / br.records_per_s, b.store_busy_percent);
  fmt::print(
      "  bulk chunks, {} downloads at once, gzip    : {:>8.0f} records/s {:>7.1f} MB/s  {:>5.1f}% of raw, {:.1f}% of "
      "identity (target >= 90%)\n",
      g_concurrency, bg.records_per_s, bg.mb_per_s, 100.0 * bg.records_per_s / br.records_per_s,
      100.0 * bg.records_per_s / b.records_per_s);
  fmt::print("  raw SQLite INSERT of the same rows         : {:>8.0f} records/s {:>7.1f} MB/s\n", br.records_per_s,
             br.mb_per_s);
  fmt::print("  conversations, cursor pages, identity      : {:>8.0f} records/s {:>7.1f} MB/s  {:>5.1f}% of raw\n",
             p.records_per_s, p.mb_per_s, 100.0 * p.records_per_s / r.records_per_s);
  fmt::print("  raw SQLite INSERT of the same rows         : {:>8.0f} records/s {:>7.1f} MB/s\n", r.records_per_s,
             r.mb_per_s);
  gb::bench::remove_sqlite_files(db);

  if (huge_mb > 0) {
    fmt::print("  peak RSS of `genesys-bulk export` (VmHWM, target <= 64 MB), median of {} runs:\n", bulk_rss.size());
    fmt::print("    {} records in {} chunks, {} at once: {:.1f} MB\n", records, chunks, g_concurrency,
               gb::bench::median(bulk_rss));
    for (const std::uint64_t mb : {std::uint64_t{100}, huge_mb}) {
      gb::simulator::Settings huge = sim;
      huge.jobs = {{"bulk:users", 1000, 1000}};
      huge.faults.huge_chunk_mb = mb;
      huge.cache_bytes = (mb + 64) << 20;
      auto huge_server = gb::simulator::Server::start(huge);
      if (!huge_server.ok()) return 1;
      std::vector<double> rss;
      for (int i = 0; i < std::min(runs, 3); ++i) {
        rss.push_back(export_peak_rss_mb(**huge_server, "bulk:users", (*huge_server)->jobs()[0].job_id, db, dir));
      }
      fmt::print("    one {} MB chunk: {:.1f} MB\n", mb, gb::bench::median(rss));
      gb::bench::remove_sqlite_files(db);
    }
  }
  return 0;
}
