// Inflate throughput (issue 6, item 5): ISA-L, through the transport's own
// wrapper (http/detail/gzip_inflater), against zlib's streaming inflate, on
// the simulator's chunks compressed as the simulator stores them (gzip level
// 6). Both are fed 16 KiB pieces, as curl hands a body over, and write into a
// 128 KiB block; the figure is decoded MB per CPU-second of one thread.
// Medians of several runs; figures vary with machine load.
//   bench_inflate [--mb 64] [--runs 7]
#include <fmt/format.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/bench_stats.hpp"
#include "http/detail/gzip_inflater.hpp"
#include "simulator/data.hpp"
#include "testing/gzip.hpp"

namespace {

constexpr std::size_t kPiece = std::size_t{16} * 1024;  // CURL_MAX_WRITE_SIZE
constexpr std::size_t kBlock = gb::http::detail::GzipInflater::kBlockBytes;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Whole chunks of `kind` records, about `target` bytes, as one JSON array.
std::string render(gb::simulator::JobKind kind, const std::string& bulk_type, std::size_t record_bytes,
                   std::size_t target) {
  gb::simulator::DataParams params;
  params.seed = 7;
  params.job_id = "bench-inflate";
  params.kind = kind;
  params.bulk_type = bulk_type;
  params.record_bytes = record_bytes;
  std::string body = "[";
  body.reserve(target + (1u << 20));
  for (std::uint64_t i = 0; body.size() < target; ++i) {
    if (i) body += ',';
    gb::simulator::append_record(body, params, i);
  }
  body += ']';
  return body;
}

// Decoded bytes; `check` touches the output so none of the work is optimised away.
std::uint64_t zlib_inflate(std::string_view packed, std::uint32_t* check) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("zlib");
  std::vector<unsigned char> block(kBlock);
  std::uint64_t total = 0;
  int rc = Z_OK;
  for (std::size_t at = 0; at < packed.size() && rc != Z_STREAM_END; at += kPiece) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data() + at));
    zs.avail_in = static_cast<uInt>(std::min(kPiece, packed.size() - at));
    do {
      zs.next_out = block.data();
      zs.avail_out = static_cast<uInt>(block.size());
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) throw std::runtime_error("zlib inflate");
      const std::size_t n = block.size() - zs.avail_out;
      total += n;
      *check += n ? block[n - 1] : 0;
    } while (zs.avail_out == 0 || (zs.avail_in > 0 && rc == Z_OK));
  }
  inflateEnd(&zs);
  return total;
}

std::uint64_t isal_inflate(std::string_view packed, std::uint32_t* check) {
  gb::http::detail::GzipInflater inflater;
  std::uint64_t total = 0;
  const auto out = [&](std::string_view b) {
    total += b.size();
    *check += static_cast<unsigned char>(b.back());
    return true;
  };
  for (std::size_t at = 0; at < packed.size(); at += kPiece) {
    if (!inflater.write(packed.substr(at, kPiece), out).ok()) throw std::runtime_error("isal inflate");
  }
  if (!inflater.finish().ok()) throw std::runtime_error("isal truncated");
  return total;
}

template <class F>
double measure(const std::string& packed, std::size_t expect, int runs, F inflate_fn) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    std::uint32_t check = 0;
    const double start = cpu_seconds();
    const std::uint64_t n = inflate_fn(packed, &check);
    const double seconds = cpu_seconds() - start;
    if (n != expect) throw std::runtime_error("inflated size differs");
    rates.push_back(static_cast<double>(n) / 1e6 / seconds);
  }
  return gb::bench::median(rates);
}

void report(const char* name, const std::string& body, int runs) {
  const std::string packed = gb::gzip(body, 6);
  const double zlib = measure(packed, body.size(), runs, zlib_inflate);
  const double isal = measure(packed, body.size(), runs, isal_inflate);
  fmt::print("  {:<34} {:>6.1f} MB -> {:>5.1f} MB gzip  zlib {:>7.0f} MB/s  ISA-L {:>7.0f} MB/s  ({:.2f}x)\n", name,
             static_cast<double>(body.size()) / 1e6, static_cast<double>(packed.size()) / 1e6, zlib, isal, isal / zlib);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"bench_inflate: ISA-L vs zlib streaming inflate on the simulator's chunks"};
  std::size_t mb = 64;
  int runs = 7;
  cli.add_option("--mb", mb, "Decoded size of each sample");
  cli.add_option("--runs", runs);
  CLI11_PARSE(cli, argc, argv);
  const std::size_t target = mb << 20;
  fmt::print(
      "bench_inflate: decoded MB per CPU-second (one thread, 16 KiB pieces), "
      "median of {} runs\n",
      runs);
  try {
    report("conversations (natural records)", render(gb::simulator::JobKind::kConversations, "", 0, target), runs);
    // bench_pipeline's bulk chunks: records padded to the conversations' mean size.
    report("bulk:interactions, 3.5 KB records", render(gb::simulator::JobKind::kBulk, "interactions", 3517, target),
           runs);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_inflate: {}\n", e.what());
    return 1;
  }
  return 0;
}
