#pragma once
// The rows the store benchmarks land: the simulator's own conversation
// records (what an export of it lands) in chunks of parser-sized batches,
// and a BatchSource that lends them to a store without copying them.
// Header-only; benchmarks only.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "records/record.hpp"
#include "simulator/data.hpp"
#include "sinks/types.hpp"

namespace gb::bench {

inline constexpr std::size_t kBatchRecords = 500;  // what a parser hands over at a time

struct BenchChunk {
  std::string id;
  std::vector<records::RecordBatch> batches;
};

struct BenchRecords {
  std::string job_id = "bench-job";
  std::vector<BenchChunk> chunks;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // the records' raw bytes
};

// `records` records in `chunks` chunks ("chunk-0000", ...), each padded to at
// least `record_bytes` (0: as the simulator makes them).
inline BenchRecords make_bench_records(std::uint64_t records, std::uint64_t chunks, std::size_t record_bytes = 0) {
  simulator::DataParams params;
  params.job_id = "bench-job";
  params.kind = simulator::JobKind::kConversations;
  params.records = records;
  params.record_bytes = record_bytes;
  BenchRecords data;
  const std::uint64_t per_chunk = (records + chunks - 1) / chunks;
  for (std::uint64_t i = 0; i < records; ++i) {
    if (i % per_chunk == 0) data.chunks.push_back({fmt::format("chunk-{:04}", data.chunks.size()), {}});
    auto& batches = data.chunks.back().batches;
    const std::uint64_t ordinal = i % per_chunk;
    if (ordinal % kBatchRecords == 0) batches.emplace_back();
    std::string raw;
    simulator::append_record(raw, params, i);
    data.bytes += raw.size();
    batches.back().raw_bytes += raw.size();
    batches.back().records.push_back({ordinal, simulator::record_key(params, i), std::move(raw)});
  }
  data.records = records;
  return data;
}

// Lends a chunk's batches by swapping each one in, and back out on the next
// call, so the data survives for the next run: the pipeline hands a store
// fresh batches, so copying them would time the benchmark, not the store.
class LendingSource final : public sinks::BatchSource {
 public:
  explicit LendingSource(std::vector<records::RecordBatch>& batches) : batches_(batches) {}
  ~LendingSource() override { give_back(); }
  LendingSource(const LendingSource&) = delete;
  LendingSource& operator=(const LendingSource&) = delete;
  Result<bool> next(records::RecordBatch& batch) override {
    give_back();
    if (next_ >= batches_.size()) return false;
    lent_ = &batch;
    std::swap(batch, batches_[next_++]);
    return true;
  }

 private:
  void give_back() {
    if (lent_ != nullptr) std::swap(*lent_, batches_[next_ - 1]);
    lent_ = nullptr;
  }
  std::vector<records::RecordBatch>& batches_;
  std::size_t next_ = 0;
  records::RecordBatch* lent_ = nullptr;
};

}  // namespace gb::bench
