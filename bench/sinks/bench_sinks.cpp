// The store's speed against this machine's raw SQLite insert rate, measured in
// the same run on the same rows: a plain prepared single-row INSERT loop into
// the same records table, same pragmas, one transaction per chunk, versus
// SqliteSink::land. Medians of several runs, each on a fresh file; each timing
// ends when the connection is closed, i.e. when everything is in the file.
//   bench_sinks [--records 100000] [--chunks 20] [--runs 5] [--dir DIR] [--record-bytes N]
//   bench_sinks --big-chunk-mb 500    (peak RSS while landing one huge chunk)
// The rows are the simulator's conversation records (src/simulator/data.hpp).
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "common/bench_records.hpp"
#include "simulator/data.hpp"
#include "sinks/sqlite/detail/sqlite_db.hpp"
#include "sinks/sqlite/detail/sqlite_schema.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"

namespace {

namespace fs = std::filesystem;
using gb::records::RecordBatch;
using gb::sinks::SqliteSettings;

using gb::bench::kBatchRecords;
using gb::bench::LendingSource;
using Data = gb::bench::BenchRecords;

// Generates records on the fly, a batch at a time, until `bytes` have been
// produced: one huge chunk without holding it in memory.
class GeneratingSource final : public gb::sinks::BatchSource {
 public:
  GeneratingSource(gb::simulator::DataParams params, std::uint64_t bytes) : params_(std::move(params)), bytes_(bytes) {}
  gb::Result<bool> next(RecordBatch& batch) override {
    batch.clear();
    if (produced_ >= bytes_) return false;
    for (std::size_t k = 0; k < kBatchRecords && produced_ < bytes_; ++k, ++next_) {
      std::string raw;
      gb::simulator::append_record(raw, params_, next_);
      produced_ += raw.size();
      batch.raw_bytes += raw.size();
      batch.records.push_back({next_, gb::simulator::record_key(params_, next_), std::move(raw)});
    }
    return true;
  }

 private:
  gb::simulator::DataParams params_;
  std::uint64_t bytes_;
  std::uint64_t produced_ = 0;
  std::uint64_t next_ = 0;
};

fs::path g_work_dir;  // removed on every way out, so failed runs leave no 350 MB files behind

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_sinks: %s\n", what.c_str());
  std::error_code ec;
  if (!g_work_dir.empty()) fs::remove_all(g_work_dir, ec);
  std::exit(1);
}

// Wall time decides the figures; CPU time is printed beside it because the
// machine may be shared, and CPU time is what other processes disturb least.
struct Timing {
  double wall = 0;
  double cpu = 0;
};

class Stopwatch {
 public:
  Stopwatch() : wall_(gb::system_clock().now()), cpu_(std::clock()) {}
  Timing elapsed() const {
    return {std::chrono::duration<double>(gb::system_clock().now() - wall_).count(),
            static_cast<double>(std::clock() - cpu_) / CLOCKS_PER_SEC};
  }

 private:
  gb::SteadyTime wall_;
  std::clock_t cpu_;
};

// Creates the file with the sink's schema and pragmas, then closes it.
void create_schema(const SqliteSettings& settings) {
  auto sink = gb::sinks::SqliteSink::open(settings);
  if (!sink) die(sink.error().describe());
}

Timing run_raw(const SqliteSettings& settings, Data& data) {
  create_schema(settings);
  auto db = gb::sinks::detail::open_db(settings.path, false);
  if (!db) die(db.error().describe());
  if (auto p = gb::sinks::detail::apply_connection_pragmas(db->get(), settings); !p) die(p.error().describe());
  auto stmt = gb::sinks::detail::Statement::prepare(
      db->get(), "INSERT INTO records (job_id, chunk_id, ordinal, record_key, payload) VALUES (?, ?, ?, ?, ?)");
  if (!stmt) die(stmt.error().describe());
  const std::string job = "bench-job";
  const Stopwatch watch;
  for (const auto& chunk : data.chunks) {
    if (auto b = gb::sinks::detail::exec(db->get(), "BEGIN"); !b) die(b.error().describe());
    for (const auto& batch : chunk.batches) {
      for (const auto& r : batch.records) {
        stmt->bind_text(1, job);
        stmt->bind_text(2, chunk.id);
        stmt->bind_int(3, static_cast<std::int64_t>(r.ordinal));
        stmt->bind_text(4, r.key);
        stmt->bind_text(5, r.raw);
        if (auto done = stmt->run("insert"); !done) die(done.error().describe());
      }
    }
    if (auto c = gb::sinks::detail::exec(db->get(), "COMMIT"); !c) die(c.error().describe());
  }
  stmt = gb::sinks::detail::Statement{};
  db->reset();  // closing checkpoints what is left in the WAL: part of the work
  return watch.elapsed();
}

Timing run_sink(const SqliteSettings& settings, Data& data) {
  create_schema(settings);  // the same steps before the clock starts as the raw loop's
  auto sink = gb::sinks::SqliteSink::open(settings);
  if (!sink) die(sink.error().describe());
  std::uint64_t landed = 0;
  const Stopwatch watch;
  for (auto& chunk : data.chunks) {
    LendingSource source(chunk.batches);
    auto r = (*sink)->land({"bench-job", chunk.id, "bulk:users"}, source, 1, std::nullopt);
    if (!r) die(r.error().describe());
    landed += r->records;
  }
  sink->reset();  // as for the raw loop: the last checkpoint is timed too
  const Timing elapsed = watch.elapsed();
  if (landed != data.records) die(fmt::format("landed {} of {} records", landed, data.records));
  return elapsed;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Lands one chunk of `mb` MB and reports the process's peak RSS: SQLite's
// page cache spills to the WAL, so memory must not grow with the chunk.
void big_chunk(const fs::path& work, std::uint64_t mb, std::int64_t cache_kib) {
  SqliteSettings settings;
  if (cache_kib > 0) settings.cache_size_kib = cache_kib;
  settings.path = (work / "big.db").string();
  const long before = peak_rss_kib();
  auto sink = gb::sinks::SqliteSink::open(settings);
  if (!sink) die(sink.error().describe());
  gb::simulator::DataParams params;
  params.job_id = "bench-big";
  params.kind = gb::simulator::JobKind::kConversations;
  params.records = ~0ULL;
  GeneratingSource source(params, mb * 1'000'000);
  const Stopwatch watch;
  auto landed = (*sink)->land({"bench-big", "chunk-0000", "bulk:users"}, source, 1, std::nullopt);
  if (!landed) die(landed.error().describe());
  sink->reset();
  const Timing t = watch.elapsed();
  std::printf(
      "one chunk: %llu records, %.1f MB in %.1f s (%.1f MB/s, generating included); "
      "peak RSS %.1f MiB (%.1f MiB before opening the store)\n",
      static_cast<unsigned long long>(landed->records), static_cast<double>(landed->bytes) / 1e6, t.wall,
      static_cast<double>(landed->bytes) / 1e6 / t.wall, static_cast<double>(peak_rss_kib()) / 1024,
      static_cast<double>(before) / 1024);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(settings.path + suffix);
}

double median(std::vector<Timing> runs, double Timing::*field) {
  std::vector<double> v;
  for (const auto& t : runs) v.push_back(t.*field);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"SqliteSink against the raw SQLite insert rate"};
  std::uint64_t records = 100'000;
  std::uint64_t chunks = 20;
  int runs = 5;
  std::string dir = fs::temp_directory_path().string();
  std::vector<int> page_sizes = {4096, 65536};
  std::vector<int> rows_per_insert = {1};
  std::size_t record_bytes = 0;
  std::uint64_t big_chunk_mb = 0;
  std::int64_t cache_kib = 0;
  app.add_option("--records", records, "records in all")->check(CLI::Range(1, 10'000'000));
  app.add_option("--chunks", chunks, "chunks (one transaction each)")->check(CLI::Range(1, 100'000));
  app.add_option("--runs", runs, "runs per configuration (median reported)")->check(CLI::Range(1, 100));
  app.add_option("--dir", dir, "where the temporary databases go (same disk as the store's)");
  app.add_option("--page-sizes", page_sizes, "page sizes to compare");
  app.add_option("--rows-per-insert", rows_per_insert, "sink settings to compare");
  app.add_option("--record-bytes", record_bytes, "pad records to at least this size (0: the simulator's natural size)");
  app.add_option("--big-chunk-mb", big_chunk_mb,
                 "instead: land one chunk this big, generated on the fly, and print the peak RSS");
  app.add_option("--cache-kib", cache_kib, "with --big-chunk-mb: SQLite's page cache (0: the sink's default)");
  CLI11_PARSE(app, argc, argv);
  gb::log::init(gb::log::Format::kText, gb::log::Level::kWarn);

  std::string tmp = (fs::path(dir) / "gb-bench-sinks-XXXXXX").string();
  if (mkdtemp(tmp.data()) == nullptr) die("cannot create a directory in " + dir);
  const fs::path work(tmp);
  g_work_dir = work;
  if (big_chunk_mb > 0) {
    big_chunk(work, big_chunk_mb, cache_kib);
    fs::remove_all(work);
    return 0;
  }

  std::printf("generating %llu records in %llu chunks...\n", static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(chunks));
  Data data = gb::bench::make_bench_records(records, chunks, record_bytes);
  const double mb = static_cast<double>(data.bytes) / 1e6;
  std::printf("%.1f MB of JSON, %.0f bytes a record on average; %d runs each, medians\n\n", mb,
              static_cast<double>(data.bytes) / static_cast<double>(records), runs);
  std::printf("%-9s %-22s %12s %9s %8s %9s %8s\n", "page", "writer", "records/s", "MB/s", "vs raw", "CPU s", "vs raw");

  int file_no = 0;
  auto fresh = [&](int page_size, int rows) {
    SqliteSettings s;
    s.path = (work / fmt::format("run-{}.db", file_no++)).string();
    s.page_size = page_size;
    s.rows_per_insert = rows;
    return s;
  };
  auto cleanup = [](const SqliteSettings& s) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(s.path + suffix);
  };

  for (int page_size : page_sizes) {
    std::vector<Timing> raw_times;
    std::vector<std::vector<Timing>> sink_times(rows_per_insert.size());
    for (int run = 0; run < runs; ++run) {
      // Interleaved, and in alternating order, so drifting load and the
      // writeback left by the previous run hit both alike.
      auto raw_run = [&] {
        auto s = fresh(page_size, 1);
        raw_times.push_back(run_raw(s, data));
        cleanup(s);
      };
      if (run % 2 == 0) raw_run();
      for (std::size_t i = 0; i < rows_per_insert.size(); ++i) {
        auto s = fresh(page_size, rows_per_insert[i]);
        sink_times[i].push_back(run_sink(s, data));
        cleanup(s);
      }
      if (run % 2 == 1) raw_run();
    }
    const double raw = median(raw_times, &Timing::wall);
    const double raw_cpu = median(raw_times, &Timing::cpu);
    const std::string page = fmt::format("{} KiB", page_size / 1024);
    std::printf("%-9s %-22s %12.0f %9.1f %8s %9.2f %8s\n", page.c_str(), "raw INSERT loop",
                static_cast<double>(records) / raw, mb / raw, "100%", raw_cpu, "100%");
    for (std::size_t i = 0; i < rows_per_insert.size(); ++i) {
      const double t = median(sink_times[i], &Timing::wall);
      const double cpu = median(sink_times[i], &Timing::cpu);
      const std::string name =
          fmt::format("SqliteSink, {} row{}", rows_per_insert[i], rows_per_insert[i] == 1 ? "" : "s");
      // "vs raw" is throughput: above 100% means faster than the raw loop.
      std::printf("%-9s %-22s %12.0f %9.1f %7.1f%% %9.2f %7.1f%%\n", page.c_str(), name.c_str(),
                  static_cast<double>(records) / t, mb / t, 100 * raw / t, cpu, 100 * raw_cpu / cpu);
    }
    std::fflush(stdout);
  }
  fs::remove_all(work);
  return 0;
}
