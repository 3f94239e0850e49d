// Parse throughput (issue 3, item 13): the array splitter alone, splitter +
// record parser, against simdjson's own rate and a byte-at-a-time splitter on
// the same bytes. Medians of several runs; figures vary with machine load.
#include <fmt/format.h>
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "records/array_splitter.hpp"
#include "records/chunk_parser.hpp"
#include "simulator/data.hpp"

namespace {

using gb::records::ScanKernel;

// Realistic records: the simulator's conversations (nested participants,
// sessions, segments, metrics; some Unicode), as one bulk-style array.
std::string make_body(std::size_t target_bytes, std::uint64_t* records) {
  gb::simulator::DataParams params;
  params.seed = 7;
  params.job_id = "bench-records";
  params.kind = gb::simulator::JobKind::kConversations;
  std::string body = "[";
  body.reserve(target_bytes + (1u << 20));
  std::uint64_t i = 0;
  while (body.size() < target_bytes) {
    if (i) body += ",\n";
    gb::simulator::append_record(body, params, i++);
  }
  body += "]";
  *records = i;
  return body;
}

double median_seconds(int runs, const std::function<void()>& run) {
  std::vector<double> seconds;
  for (int r = 0; r < runs; ++r) {
    const auto start = gb::system_clock().now();
    run();
    seconds.push_back(std::chrono::duration<double>(gb::system_clock().now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// The byte-at-a-time splitter the block splitter replaces: the same job
// (depth, strings, escapes, element boundaries), one byte per step.
std::uint64_t bytewise_count(std::string_view body) {
  std::uint64_t elements = 0;
  int depth = 0;
  bool in_string = false;
  bool escape = false;
  for (const char c : body) {
    if (escape) {
      escape = false;
    } else if (c == '\\') {
      escape = true;
    } else if (in_string) {
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 1 && c == '}') ++elements;
    }
  }
  return elements;
}

void check(bool ok, const std::string& what) {
  if (!ok) {
    fmt::print(stderr, "bench_records: {}\n", what);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"records parse throughput"};
  std::size_t megabytes = 256;
  int runs = 5;
  std::size_t slice = std::size_t{16} * 1024;
  app.add_option("--mb", megabytes, "size of the test body in MiB")->check(CLI::Range(1, 4096));
  app.add_option("--runs", runs, "runs per measurement (the median is shown)")->check(CLI::Range(1, 100));
  app.add_option("--slice", slice, "bytes per feed() call, as curl hands them over")->check(CLI::Range(1, 1 << 30));
  bool parser_only = false;
  app.add_flag("--parser-only", parser_only, "measure splitter + record parser alone (for a profiler)");
  CLI11_PARSE(app, argc, argv);

  std::uint64_t records = 0;
  const std::string body = make_body(megabytes << 20, &records);
  const double gb = static_cast<double>(body.size()) / 1e9;
  fmt::print(
      "body: {:.1f} MB, {} conversation records, {:.0f} bytes each on average; slices of {} bytes; "
      "median of {} runs\n\n",
      static_cast<double>(body.size()) / 1e6, records, static_cast<double>(body.size()) / static_cast<double>(records),
      slice, runs);

  auto split_run = [&](ScanKernel kernel) {
    gb::records::SplitterSettings settings;
    settings.kernel = kernel;
    std::uint64_t seen = 0;
    gb::records::ArraySplitter splitter(settings, [&](std::string_view) {
      ++seen;
      return gb::ok_status();
    });
    for (std::size_t at = 0; at < body.size(); at += slice) {
      check(splitter.feed(std::string_view(body).substr(at, slice)).ok(), "split failed");
    }
    check(splitter.finish().ok() && seen == records, "split lost records");
  };

  struct Row {
    std::string name;
    double seconds;
  };
  std::vector<Row> rows;

  auto parse_run = [&] {
    gb::records::ChunkParserSettings settings;
    settings.key_field = gb::records::KeyField::kConversationId;
    std::uint64_t landed = 0;
    gb::records::ChunkParser parser(settings, [&](gb::records::RecordBatch& batch) {
      landed += batch.records.size();
      return gb::ok_status();
    });
    for (std::size_t at = 0; at < body.size(); at += slice) {
      check(parser.feed(std::string_view(body).substr(at, slice)).ok(), "parse failed");
    }
    check(parser.finish().ok() && landed == records, "parse lost records");
  };
  if (parser_only) {
    const double s = median_seconds(runs, parse_run);
    fmt::print("splitter + record parser: {:.2f} GB/s\n", gb / s);
    return 0;
  }

  std::uint64_t bytewise = 0;
  rows.push_back({"byte-at-a-time splitter", median_seconds(runs, [&] { bytewise = bytewise_count(body); })});
  check(bytewise == records, "byte-at-a-time splitter miscounted");
  rows.push_back({"block splitter, scalar masks", median_seconds(runs, [&] { split_run(ScanKernel::kScalar); })});
  if (gb::records::scan_kernel_supported(ScanKernel::kSse2)) {
    rows.push_back({"block splitter, SSE2 masks", median_seconds(runs, [&] { split_run(ScanKernel::kSse2); })});
  }
  const bool avx2 = gb::records::scan_kernel_supported(ScanKernel::kAvx2);
  if (avx2) rows.push_back({"block splitter, AVX2 masks", median_seconds(runs, [&] { split_run(ScanKernel::kAvx2); })});
  const double splitter_seconds = rows.back().seconds;

  rows.push_back({"splitter + record parser", median_seconds(runs, parse_run)});
  const double pipeline_seconds = rows.back().seconds;

  const simdjson::padded_string padded(body);
  simdjson::dom::parser dom;
  check(dom.allocate(padded.size()) == simdjson::SUCCESS, "simdjson allocate failed");
  rows.push_back({"simdjson DOM, whole array", median_seconds(runs, [&] {
                    simdjson::dom::array array;
                    check(dom.parse(padded).get_array().get(array) == simdjson::SUCCESS, "simdjson DOM failed");
                    check(array.size() == records, "simdjson DOM miscounted");
                  })});
  const double dom_seconds = rows.back().seconds;
  simdjson::ondemand::parser ondemand;
  rows.push_back({"simdjson On-Demand, count elements", median_seconds(runs, [&] {
                    simdjson::ondemand::document doc;
                    check(ondemand.iterate(padded).get(doc) == simdjson::SUCCESS, "simdjson iterate failed");
                    std::uint64_t n = 0;
                    check(doc.count_elements().get(n) == simdjson::SUCCESS && n == records, "on-demand miscounted");
                  })});
  const double ondemand_seconds = rows.back().seconds;

  fmt::print("{:<38} {:>9} {:>14}\n", "stage", "GB/s", "records/s");
  for (const auto& row : rows) {
    fmt::print("{:<38} {:>9.2f} {:>14.0f}\n", row.name, gb / row.seconds, static_cast<double>(records) / row.seconds);
  }
  const double bytewise_seconds = rows.front().seconds;
  fmt::print("\nsplitter ({}) vs byte-at-a-time:      {:.2f}x\n",
             gb::records::to_string(gb::records::resolve_scan_kernel(ScanKernel::kAuto)),
             bytewise_seconds / splitter_seconds);
  fmt::print("splitter vs simdjson DOM:              {:.2f}x\n", dom_seconds / splitter_seconds);
  fmt::print("splitter vs simdjson On-Demand count:  {:.2f}x\n", ondemand_seconds / splitter_seconds);
  fmt::print("splitter + parser vs simdjson DOM:     {:.2f}x\n", dom_seconds / pipeline_seconds);
  fmt::print("share of splitter in splitter + parser: {:.0f}%\n", 100.0 * splitter_seconds / pipeline_seconds);
  return 0;
}
