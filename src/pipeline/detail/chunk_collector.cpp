#include "pipeline/detail/chunk_collector.hpp"

#include <algorithm>
#include <utility>

namespace gb::pipeline::detail {
namespace {

// Reads a spilled chunk back in bounded batches; the file goes with it.
class SpillBatchSource final : public sinks::BatchSource {
 public:
  SpillBatchSource(std::unique_ptr<SpillFile> file, std::uint64_t batch_bytes)
      : file_(std::move(file)), batch_bytes_(batch_bytes) {}
  Result<bool> next(records::RecordBatch& batch) override { return file_->read_batch(batch, batch_bytes_); }

 private:
  std::unique_ptr<SpillFile> file_;
  std::uint64_t batch_bytes_;
};

}  // namespace

std::uint64_t batch_cost(const records::RecordBatch& batch) {
  constexpr std::uint64_t kPerEntry = 64;  // malloc headers and the key's own allocation
  std::uint64_t cost = batch.raw_bytes + sizeof(records::RecordBatch);
  for (const auto& r : batch.records) cost += sizeof r + r.key.size() + kPerEntry;
  for (const auto& q : batch.quarantined) cost += sizeof q + q.reason.size() + kPerEntry;
  return cost;
}

std::uint64_t admission_cost(std::uint64_t size) {
  return size + size / 8;
}

Result<bool> MemoryBatchSource::next(records::RecordBatch& batch) {
  if (rewindable_) {
    take_back(batch);
  } else {
    held_.shrink(lent_cost_);
    lent_cost_ = 0;
  }
  batch.clear();
  while (next_ < batches_.size() && batches_[next_].empty()) ++next_;
  if (next_ >= batches_.size()) {
    if (!rewindable_) held_.reset();
    return false;
  }
  if (rewindable_) {
    std::swap(batch, batches_[next_]);
    lent_ = next_;
    lent_outstanding_ = true;
  } else {
    lent_cost_ = batch_cost(batches_[next_]);
    batch = std::move(batches_[next_]);
    batches_[next_].clear();
  }
  ++next_;
  return true;
}

bool MemoryBatchSource::rewind(records::RecordBatch& lent) {
  if (!rewindable_) return false;
  take_back(lent);
  next_ = 0;
  return true;
}

void MemoryBatchSource::take_back(records::RecordBatch& lent) {
  if (!lent_outstanding_) return;
  std::swap(lent, batches_[lent_]);
  lent_outstanding_ = false;
}

ChunkCollector::ChunkCollector(std::filesystem::path spill_dir, std::uint64_t spill_threshold,
                               std::uint64_t expected_size, std::uint64_t read_batch_bytes, Reservation held)
    : spill_dir_(std::move(spill_dir)),
      spill_threshold_(spill_threshold),
      read_batch_bytes_(read_batch_bytes),
      spill_from_start_(expected_size > spill_threshold),
      held_bytes_(std::move(held)) {}

Status ChunkCollector::add(records::RecordBatch& batch) {
  stats_.records += batch.records.size();
  stats_.quarantined += batch.quarantined.size();
  stats_.raw_bytes += batch.raw_bytes;
  if (!spill_ && (spill_from_start_ || stats_.raw_bytes > spill_threshold_)) {
    if (auto s = spill_held(); !s.ok()) return s;
  }
  // Waits while complete chunks are on their way out of memory; spills when
  // the budget is full of chunks still being downloaded.
  const std::uint64_t cost = batch_cost(batch);
  const std::uint64_t held = held_bytes_.bytes();
  if (!spill_ && held_bytes_.has_budget() && held_cost_ + cost > held &&
      !held_bytes_.grow_or_wait(held_cost_ + cost - held)) {
    if (auto s = spill_held(); !s.ok()) return s;
  }
  if (spill_) {
    auto s = spill_->append(batch);
    batch.clear();
    return s;
  }
  held_cost_ += cost;
  held_.push_back(std::exchange(batch, records::RecordBatch{}));
  return ok_status();
}

Status ChunkCollector::begin_large(std::uint64_t ordinal, const std::string& reason) {
  ++stats_.quarantined;
  if (!spill_) {
    if (auto s = spill_held(); !s.ok()) return s;
  }
  return spill_->begin_large(ordinal, reason);
}

Status ChunkCollector::add_large(std::string_view bytes) {
  stats_.raw_bytes += bytes.size();
  return spill_->append_large(bytes);
}

Status ChunkCollector::end_large() {
  return spill_->end_large();
}

Status ChunkCollector::spill_held() {
  auto file = SpillFile::create(spill_dir_);
  if (!file.ok()) return std::move(file).error();
  spill_ = std::move(*file);
  stats_.spilled = true;
  for (auto& held : held_) {
    if (auto s = spill_->append(held); !s.ok()) return s;
  }
  held_.clear();
  held_.shrink_to_fit();
  held_bytes_.reset();
  held_cost_ = 0;
  return ok_status();
}

Result<std::unique_ptr<sinks::BatchSource>> ChunkCollector::take_source(bool rewindable) {
  if (spill_) {
    if (auto s = spill_->finish_writing(); !s.ok()) return std::move(s).error();
    return std::unique_ptr<sinks::BatchSource>(new SpillBatchSource(std::move(spill_), read_batch_bytes_));
  }
  held_bytes_.shrink(held_bytes_.bytes() - std::min(held_cost_, held_bytes_.bytes()));  // an admission's unused part
  held_bytes_.settle();  // complete: the writer gives these bytes back
  return std::unique_ptr<sinks::BatchSource>(
      new MemoryBatchSource(std::move(held_), std::move(held_bytes_), rewindable));
}

}  // namespace gb::pipeline::detail
