// Landing into files (ObjectLanding over FileObjectStore, `--sink file:DIR`)
// against this disk's raw rate of writing and fsyncing the same bytes, in the
// same run: per chunk, one file written in 1 MiB pieces, fsynced, closed
// (raw); the same plus the store's own protocol, a temporary name renamed
// into place and the directory fsynced (raw+rename), and plus the SHA-256
// every object gets for the manifest (raw+rename+SHA-256: the least a
// landing must do); then ObjectLanding with
// 1 and 2 landing threads, plain and gzip. The ledger is the in-memory state
// store (src/testing/), so the figures are the files' side alone. Medians of
// several runs, each into a fresh directory.
//   bench_file_landing [--records 100000] [--chunks 20] [--runs 5] [--dir DIR] [--no-gzip]
// It also prints what zlib's deflate costs per level on the same bytes, in
// memory, one thread (the gzip objects' level is fixed: detail/gzip_stream).
// The rows are the simulator's conversation records (src/simulator/data.hpp).
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "common/bench_records.hpp"
#include "common/bench_stats.hpp"
#include "simulator/data.hpp"
#include "sinks/files/file_object_store.hpp"
#include "sinks/object_landing.hpp"
#include "testing/memory_state_store.hpp"

namespace {

namespace fs = std::filesystem;
using gb::bench::median;
using gb::records::RecordBatch;

using gb::bench::LendingSource;
constexpr std::size_t kPiece = std::size_t{1} << 20;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_file_landing: %s\n", message.c_str());
  std::exit(1);
}

struct Chunk {
  std::string id;
  std::vector<RecordBatch> batches;
  std::string ndjson;  // what the raw loops write: the same bytes as the object
};

struct Data {
  std::vector<Chunk> chunks;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // NDJSON bytes (records + newlines)
};

Data make_data(std::uint64_t records, std::uint64_t chunks) {
  auto rows = gb::bench::make_bench_records(records, chunks);
  Data data;
  data.records = rows.records;
  for (auto& c : rows.chunks) {
    Chunk chunk{std::move(c.id), std::move(c.batches), {}};
    for (const auto& batch : chunk.batches) {
      for (const auto& r : batch.records) {
        chunk.ndjson += r.raw;
        chunk.ndjson += '\n';
      }
    }
    data.bytes += chunk.ndjson.size();
    data.chunks.push_back(std::move(chunk));
  }
  return data;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check(bool ok, const char* what) {
  if (!ok) die(fmt::format("{}: {}", what, std::strerror(errno)));
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  check(fd >= 0, "open dir");
  check(::fsync(fd) == 0, "fsync dir");
  ::close(fd);
}

// One file per chunk: write in 1 MiB pieces, fsync, close (and with
// `rename`, under a temporary name, renamed into place, directory fsynced).
double run_raw(const fs::path& dir, const Data& data, bool rename, bool sha256 = false) {
  fs::create_directories(dir);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& chunk : data.chunks) {
    const fs::path target = dir / (chunk.id + ".ndjson");
    const fs::path path = rename ? dir / (".tmp-" + chunk.id) : target;
    if (sha256) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      check(EVP_Digest(chunk.ndjson.data(), chunk.ndjson.size(), md, &n, EVP_sha256(), nullptr) == 1, "sha256");
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check(fd >= 0, "open");
    for (std::size_t at = 0; at < chunk.ndjson.size(); at += kPiece) {
      const std::size_t n = std::min(kPiece, chunk.ndjson.size() - at);
      check(::write(fd, chunk.ndjson.data() + at, n) == static_cast<ssize_t>(n), "write");
    }
    check(::fsync(fd) == 0, "fsync");
    check(::close(fd) == 0, "close");
    if (rename) {
      check(::rename(path.c_str(), target.c_str()) == 0, "rename");
      fsync_dir(dir);
    }
  }
  return seconds_since(start);
}

double run_landing(const fs::path& dir, Data& data, int threads, bool gzip) {
  auto store = gb::sinks::FileObjectStore::open(dir.string());
  if (!store) die(store.error().describe());
  gb::fixtures::MemoryStateStore state;
  gb::sinks::ObjectLandingSettings settings;
  settings.gzip = gzip;
  gb::sinks::ObjectLanding landing(**store, state, settings);
  std::atomic<std::uint64_t> landed{0};
  std::atomic<std::size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < data.chunks.size(); i = next++) {
        auto& chunk = data.chunks[i];
        LendingSource source(chunk.batches);
        auto r = landing.land({"bench-job", chunk.id, "conversations"}, source, 1, std::nullopt);
        if (!r) die(r.error().describe());
        landed += r->records;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed = seconds_since(start);
  if (landed != data.records) die(fmt::format("landed {} of {} records", landed.load(), data.records));
  return elapsed;
}

// User + system CPU seconds of this process (all its threads) so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Deflates every chunk's NDJSON at `level` (gzip wrapper), in memory: CPU
// seconds (one thread; wall time on a shared machine says little) and
// compressed bytes.
std::pair<double, std::uint64_t> deflate_all(const Data& data, int level) {
  std::uint64_t out_bytes = 0;
  std::string out;
  const double start = cpu_seconds();
  for (const auto& chunk : data.chunks) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
    out.resize(deflateBound(&zs, chunk.ndjson.size()));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.ndjson.data()));
    zs.avail_in = static_cast<uInt>(chunk.ndjson.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) die("deflate");
    out_bytes += zs.total_out;
    deflateEnd(&zs);
  }
  return {cpu_seconds() - start, out_bytes};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Landing into files against the raw write+fsync rate of the same disk"};
  std::uint64_t records = 100'000;
  std::uint64_t chunks = 20;
  int runs = 5;
  std::string dir = fs::temp_directory_path().string();
  app.add_option("--records", records, "records in all")->check(CLI::Range(1, 10'000'000));
  app.add_option("--chunks", chunks, "chunks (one object each)")->check(CLI::Range(1, 100'000));
  app.add_option("--runs", runs, "runs per variant (median)")->check(CLI::Range(1, 100));
  app.add_option("--dir", dir, "where the files go (the disk measured)");
  bool no_gzip = false;
  app.add_flag("--no-gzip", no_gzip, "skip the gzip landings and the deflate levels");
  CLI11_PARSE(app, argc, argv);
  gb::log::init(gb::log::Format::kText, gb::log::Level::kWarn);

  Data data = make_data(records, chunks);
  const fs::path work = fs::path(dir) / fmt::format("bench-file-landing-{}", ::getpid());
  std::printf("%llu records (%.1f MB of NDJSON) in %zu chunks, %d runs each, into %s\n",
              static_cast<unsigned long long>(data.records), static_cast<double>(data.bytes) / 1e6, data.chunks.size(),
              runs, work.c_str());

  struct Variant {
    std::string name;
    std::function<double(const fs::path&)> run;
  };
  std::vector<Variant> variants = {
      {"raw write+fsync", [&](const fs::path& d) { return run_raw(d, data, false); }},
      {"raw +rename+dir fsync", [&](const fs::path& d) { return run_raw(d, data, true); }},
      {"raw +rename+SHA-256", [&](const fs::path& d) { return run_raw(d, data, true, true); }},
      {"landing, 1 thread", [&](const fs::path& d) { return run_landing(d, data, 1, false); }},
      {"landing, 2 threads", [&](const fs::path& d) { return run_landing(d, data, 2, false); }},
  };
  if (!no_gzip) {
    variants.push_back({"landing gzip, 1 thread", [&](const fs::path& d) { return run_landing(d, data, 1, true); }});
    variants.push_back({"landing gzip, 2 threads", [&](const fs::path& d) { return run_landing(d, data, 2, true); }});
  }
  // Interleaved (run r of every variant, then run r+1), each round starting
  // at another variant, so that a neighbour's load on the shared machine and
  // the order spread over all variants alike. Before each timing, the
  // previous variant's files are deleted and everything is synced (untimed),
  // so no variant pays for another's writeback.
  std::vector<std::vector<double>> times(variants.size());
  std::vector<std::vector<double>> cpu(variants.size());
  for (int r = 0; r < runs; ++r) {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      const std::size_t v = (i + static_cast<std::size_t>(r)) % variants.size();
      const fs::path d = work / fmt::format("v{}-r{}", v, r);
      ::sync();
      const double cpu_before = cpu_seconds();
      times[v].push_back(variants[v].run(d));
      cpu[v].push_back(cpu_seconds() - cpu_before);
      fs::remove_all(d);
    }
  }
  fs::remove_all(work);
  const double raw = median(times[0]);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const double t = median(times[v]);
    std::string all;
    for (double x : times[v]) all += fmt::format(" {:.3f}", x);
    std::printf("%-26s %7.3f s  %8.0f records/s  %7.1f MB/s  %5.1f%% of raw  CPU %.3f s   (runs:%s)\n",
                variants[v].name.c_str(), t, static_cast<double>(data.records) / t,
                static_cast<double>(data.bytes) / 1e6 / t, 100.0 * raw / t, median(cpu[v]), all.c_str());
  }
  if (no_gzip) return 0;
  for (int level : {1, 3, 6}) {
    std::vector<double> secs;
    std::uint64_t out = 0;
    for (int r = 0; r < runs; ++r) {
      auto [t, bytes] = deflate_all(data, level);
      secs.push_back(t);
      out = bytes;
    }
    const double t = median(secs);
    std::printf("deflate level %d, memory   %7.3f CPU s  %7.1f MB/s per core in, ratio %.1f:1\n", level, t,
                static_cast<double>(data.bytes) / 1e6 / t, static_cast<double>(data.bytes) / static_cast<double>(out));
  }
  return 0;
}
