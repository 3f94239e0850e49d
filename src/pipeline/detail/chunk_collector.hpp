#pragma once
// Where a chunk's parsed batches wait until the chunk is complete: in memory
// while they fit in the run's memory budget, in a spill file once they do
// not, or once the chunk is (or turns out to be) larger than the spill
// threshold. A chunk lands only once it has been downloaded and parsed to the
// end, so a failed attempt never lands half.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "pipeline/detail/spill_file.hpp"
#include "pipeline/memory_budget.hpp"
#include "records/record.hpp"
#include "sinks/types.hpp"

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
  // held: held batches are charged to it (batch_cost), first to the bytes it
  // already holds (a chunk admitted whole), then by growing it; the chunk
  // spills when it cannot grow. Without a budget, only the threshold counts.
  ChunkCollector(std::filesystem::path spill_dir, std::uint64_t spill_threshold, std::uint64_t expected_size,
                 std::uint64_t read_batch_bytes, Reservation held = {});

  // Takes the batch's contents (leaves it empty).
  Status add(records::RecordBatch& batch);
  // A quarantined record too large to hold, as it arrives; the chunk goes
  // to its spill file (if it was not there yet) and the record with it.
  Status begin_large(std::uint64_t ordinal, const std::string& reason);
  Status add_large(std::string_view bytes);
  Status end_large();
  // The finished chunk as a source of bounded batches; call once, after the
  // last add(). The source owns the memory or the spill file. Held in
  // memory, it can rewind when asked to; spilled, it cannot (its records
  // come back without Record::left_to_store, checked by any store).
  Result<std::unique_ptr<sinks::BatchSource>> take_source(bool rewindable = false);

  const CollectorStats& stats() const { return stats_; }

 private:
  Status spill_held();

  std::filesystem::path spill_dir_;
  std::uint64_t spill_threshold_;
  std::uint64_t read_batch_bytes_;
  bool spill_from_start_;
  Reservation held_bytes_;       // at least what held_ costs the budget
  std::uint64_t held_cost_ = 0;  // what held_ costs (batch_cost)
  std::vector<records::RecordBatch> held_;
  std::unique_ptr<SpillFile> spill_;
  CollectorStats stats_;
};

// What a batch held in memory costs: its bytes plus the strings' and the
// vectors' bookkeeping (a 3.5 KB record costs about 3.6 KB of heap).
std::uint64_t batch_cost(const records::RecordBatch& batch);

// What a chunk announced as `size` bytes is expected to cost held whole:
// its bytes plus an eighth for bookkeeping (5% for 3.5 KB records). Records
// smaller than about 1.5 KB cost more; their chunk grows past it as usual.
std::uint64_t admission_cost(std::uint64_t size);

// Batches held in memory, handed out one by one by swapping them into the
// sink's batch. Each batch's share of `held` goes back to the budget once
// the next one is asked for (the sink is done with a batch when it asks for
// the next); a rewindable source instead takes each batch back and holds
// them all until it is destroyed.
class MemoryBatchSource final : public sinks::BatchSource {
 public:
  explicit MemoryBatchSource(std::vector<records::RecordBatch> batches, Reservation held = {}, bool rewindable = false)
      : batches_(std::move(batches)), held_(std::move(held)), rewindable_(rewindable) {}
  Result<bool> next(records::RecordBatch& batch) override;
  bool rewind(records::RecordBatch& lent) override;

 private:
  void take_back(records::RecordBatch& lent);

  std::vector<records::RecordBatch> batches_;
  std::size_t next_ = 0;
  Reservation held_;
  bool rewindable_;
  std::uint64_t lent_cost_ = 0;    // the batch handed out last
  std::size_t lent_ = 0;           // its slot, when rewindable
  bool lent_outstanding_ = false;  // whether that slot waits for it
};

}  // namespace gb::pipeline::detail
