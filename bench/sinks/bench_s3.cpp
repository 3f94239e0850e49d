// The S3 store's upload rate against the loopback transfer rate of the same
// bytes to the same server, measured in the same run: S3ObjectStore
// (begin_write, write in 1 MiB pieces, commit: SHA-256, spool, SigV4, PUT or
// multipart) versus `curl -T FILE` PUTs of the same objects (unsigned: s3rver
// accepts anonymous writes) to the same s3rver, started here on a free port,
// and boto3's upload_file of them (boto3_upload.py) with the same threshold
// and part size: s3rver's multipart uploads are slow in themselves (it
// copies the parts into the object at completion), which boto3 shows too.
// Medians of --runs runs; each run overwrites the same keys.
//   bench_s3 [--objects 8] [--object-mb 32] [--concurrency 1] [--runs 3]
//            [--threshold-mb 64] [--part-mb 8]
// Peak RSS is printed too: the store holds at most part_size (+1 MiB) per
// object being written, whatever the object's size.
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_stats.hpp"
#include "sinks/s3/s3_object_store.hpp"
#include "testing/s3_server.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPiece = std::size_t{1} << 20;

// 1 MiB of NDJSON-like bytes; piece i of object o starts with its own numbers
// so no two pieces are equal.
std::string make_piece(std::uint64_t object, std::uint64_t index, const std::string& base) {
  std::string piece = base;
  const std::string tag = fmt::format("{{\"object\":{},\"piece\":{}}}\n", object, index);
  piece.replace(0, tag.size(), tag);
  return piece;
}

std::string make_base() {
  std::string base;
  std::uint64_t x = 88172645463325252ULL;
  while (base.size() < kPiece) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    base += fmt::format("{{\"conversationId\":\"{:016x}\",\"mediaType\":\"voice\",\"n\":{}}}\n", x, x % 100000);
  }
  base.resize(kPiece);
  return base;
}

long peak_rss_mib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"S3 store upload rate vs curl PUT to the same s3rver"};
  int objects = 8;
  int object_mb = 32;
  int concurrency = 1;
  int runs = 3;
  int threshold_mb = 64;
  int part_mb = 8;
  app.add_option("--objects", objects);
  app.add_option("--object-mb", object_mb);
  app.add_option("--concurrency", concurrency);
  app.add_option("--runs", runs);
  app.add_option("--threshold-mb", threshold_mb);
  app.add_option("--part-mb", part_mb);
  CLI11_PARSE(app, argc, argv);

  if (!gb::fixtures::S3Server::available()) {
    std::fprintf(stderr, "s3rver is not installed (run scripts/setup)\n");
    return 1;
  }
  gb::fixtures::S3Server server("bench-bucket");
  gb::fixtures::TempDir scratch("gb-bench-s3");
  const std::string base = make_base();
  const std::uint64_t object_bytes = std::uint64_t(object_mb) * kPiece;
  const double total_mb = double(objects) * object_mb;

  // The same bytes as files, for curl.
  for (int o = 0; o < objects; ++o) {
    std::ofstream out(scratch.path() / fmt::format("obj-{}", o), std::ios::binary);
    for (int i = 0; i < object_mb; ++i) out << make_piece(o, i, base);
  }

  gb::sinks::S3Settings s;
  s.bucket = server.bucket();
  s.endpoint = server.endpoint();
  s.access_key_id = gb::fixtures::S3Server::kAccessKeyId;
  s.secret_access_key = "bench-secret";
  s.multipart_threshold = std::uint64_t(threshold_mb) * kPiece;
  s.part_size = std::uint64_t(part_mb) * kPiece;
  s.max_concurrent_writes = concurrency;
  s.spool_dir = scratch.path();
  auto opened = gb::sinks::S3ObjectStore::open(s);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
    return 1;
  }
  auto& store = **opened;
  const long rss_before = peak_rss_mib();

  // Workers take objects in turn; `one` uploads object o.
  auto timed = [&](auto one) {
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    const auto began = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
      threads.emplace_back([&] {
        for (int o = next++; o < objects; o = next++) {
          if (!one(o)) failed = true;
        }
      });
    }
    for (auto& th : threads) th.join();
    const double secs = std::chrono::duration<double>(Clock::now() - began).count();
    if (failed) {
      std::fprintf(stderr, "an upload failed\n");
      std::exit(1);
    }
    return total_mb / secs;
  };

  auto via_store = [&](int o) {
    auto w = store.begin_write(fmt::format("bench/store/obj-{}.ndjson", o));
    if (!w) return false;
    for (int i = 0; i < object_mb; ++i) {
      if (!(*w)->write(make_piece(o, i, base))) return false;
    }
    auto st = (*w)->commit();
    if (!st) std::fprintf(stderr, "%s\n", st.error().describe().c_str());
    return st.ok();
  };
  auto via_curl = [&](int o) {
    gb::fixtures::SpawnOptions p;
    p.argv = {"/usr/bin/curl",
              "-sS",
              "-f",
              "-o",
              "/dev/null",
              "-H",
              "Expect:",
              "-T",
              (scratch.path() / fmt::format("obj-{}", o)).string(),
              fmt::format("{}/{}/bench/curl/obj-{}.ndjson", server.endpoint(), server.bucket(), o)};
    p.env = {"PATH=/usr/bin:/bin"};
    const auto f = gb::fixtures::run(p, scratch.path(), std::chrono::minutes(10));
    if (f.exit_code != 0) std::fprintf(stderr, "curl: %s\n", f.output.c_str());
    return f.exit_code == 0;
  };

  // boto3 times itself (the interpreter's start-up is not counted).
  const bool have_boto3 = ::access("/usr/bin/python3", X_OK) == 0;
  auto via_boto3 = [&]() -> double {
    gb::fixtures::SpawnOptions p;
    p.argv = {"/usr/bin/python3",
              (fs::path(GB_SOURCE_DIR) / "bench/sinks/boto3_upload.py").string(),
              server.endpoint(),
              server.bucket(),
              std::to_string(threshold_mb),
              std::to_string(part_mb),
              std::to_string(concurrency)};
    for (int o = 0; o < objects; ++o) p.argv.push_back((scratch.path() / fmt::format("obj-{}", o)).string());
    p.env = {"PATH=/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1", "AWS_ACCESS_KEY_ID=S3RVER",
             "AWS_SECRET_ACCESS_KEY=bench-secret", "HOME=" + scratch.path().string()};
    const auto f = gb::fixtures::run(p, scratch.path(), std::chrono::minutes(10));
    if (f.exit_code != 0) {
      std::fprintf(stderr, "boto3: %s\n", f.output.c_str());
      return 0;
    }
    return std::atof(f.output.c_str());
  };

  std::vector<double> store_rates;
  std::vector<double> curl_rates;
  std::vector<double> boto3_rates;
  for (int r = 0; r < runs; ++r) {
    curl_rates.push_back(timed(via_curl));
    store_rates.push_back(timed(via_store));
    if (have_boto3) boto3_rates.push_back(via_boto3());
    std::printf("run %d: curl PUT %.1f MiB/s, S3ObjectStore %.1f MiB/s, boto3 %.1f MiB/s\n", r + 1, curl_rates.back(),
                store_rates.back(), have_boto3 ? boto3_rates.back() : 0.0);
  }
  const double c = gb::bench::median(curl_rates);
  const double st = gb::bench::median(store_rates);
  const double b = have_boto3 ? gb::bench::median(boto3_rates) : 0.0;
  std::printf(
      "%d objects x %d MiB (%s), %d at a time, s3rver on loopback, median of %d:\n"
      "  curl -T PUT (raw)   %8.1f MiB/s\n  S3ObjectStore       %8.1f MiB/s  (%.0f%% of raw)\n"
      "  boto3 upload_file   %8.1f MiB/s  (%.0f%% of raw; same threshold and part size)\n"
      "  peak RSS %ld MiB (before the store's runs %ld MiB)\n",
      objects, object_mb,
      object_bytes > s.multipart_threshold ? fmt::format("multipart, {} MiB parts", part_mb).c_str() : "one PUT each",
      concurrency, runs, c, st, 100.0 * st / c, b, 100.0 * b / c, peak_rss_mib(), rss_before);
  return 0;
}
