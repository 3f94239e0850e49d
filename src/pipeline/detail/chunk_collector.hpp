#pragma once
// Where a chunk's parsed batches wait until the chunk is complete: in memory
// while they are small, in a spill file once the chunk is (or turns out to
// be) larger than the spill threshold. A chunk lands only once it has been
// downloaded and parsed to the end, so a failed attempt never lands half.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "pipeline/detail/spill_file.hpp"
#include "records/record.hpp"
#include "sinks/sink.hpp"

namespace gb::pipeline::detail {

struct CollectorStats {
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t raw_bytes = 0;
  bool spilled = false;
};

// Not thread-safe: one download fills it, then take_source() hands it over.
class ChunkCollector {
 public:
  // expected_size: the chunk's announced size (0 if unknown); when it is
  // above spill_threshold the collector spills from the first batch.
  ChunkCollector(std::filesystem::path spill_dir, std::uint64_t spill_threshold, std::uint64_t expected_size,
                 std::uint64_t read_batch_bytes);

  // Takes the batch's contents (leaves it empty).
  Status add(records::RecordBatch& batch);
  // The finished chunk as a source of bounded batches; call once, after the
  // last add(). The source owns the memory or the spill file.
  Result<std::unique_ptr<sinks::BatchSource>> take_source();

  const CollectorStats& stats() const { return stats_; }

 private:
  Status spill_held();

  std::filesystem::path spill_dir_;
  std::uint64_t spill_threshold_;
  std::uint64_t read_batch_bytes_;
  bool spill_from_start_;
  std::vector<records::RecordBatch> held_;
  std::unique_ptr<SpillFile> spill_;
  CollectorStats stats_;
};

// Batches held in memory, handed out one by one.
class MemoryBatchSource final : public sinks::BatchSource {
 public:
  explicit MemoryBatchSource(std::vector<records::RecordBatch> batches) : batches_(std::move(batches)) {}
  Result<bool> next(records::RecordBatch& batch) override;

 private:
  std::vector<records::RecordBatch> batches_;
  std::size_t next_ = 0;
};

}  // namespace gb::pipeline::detail
