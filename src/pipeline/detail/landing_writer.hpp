#pragma once
// The threads that land chunks: as many as the store takes at once
// (Landing::max_concurrent_landings: one for SQLite's single writer), fed
// through a bounded queue, so the store stays busy while downloads run ahead.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "pipeline/detail/bounded_queue.hpp"
#include "sinks/landing.hpp"

namespace gb::pipeline::detail {

struct LandingItem {
  sinks::ChunkRef chunk;
  std::unique_ptr<sinks::BatchSource> source;
  int attempts = 1;
  // A cursor page's: the next page's cursor, kept in its ledger row.
  std::optional<std::string> next_cursor;
  // Told the outcome on a writer thread, after the landing ended (called
  // from several threads at once when there are several).
  std::function<void(const sinks::ChunkRef&, const Result<sinks::LandResult>&)> done;
};

// Thread-safe submit(); the writer threads call Landing::land for the items
// in the order submitted (with one thread, one after the other in that
// order). finish() (also run by the destructor) lands everything already
// submitted, then joins.
class LandingWriter {
 public:
  LandingWriter(sinks::Landing& landing, int threads, std::size_t queue_capacity, const Clock& clock);
  ~LandingWriter();
  LandingWriter(const LandingWriter&) = delete;
  LandingWriter& operator=(const LandingWriter&) = delete;

  // Blocks while the queue is full. False once finish() has been called.
  bool submit(LandingItem item);
  void finish();

  // Time spent inside Landing::land, summed over the threads. Beside the
  // run's wall time (times the threads) it says whether the store was the
  // bottleneck or waited for downloads. Read after finish().
  Duration busy() const;

 private:
  void run(Duration& busy);

  sinks::Landing& landing_;
  const Clock& clock_;
  std::vector<Duration> busy_;  // one per thread, written by it only; read after join
  BoundedQueue<LandingItem> queue_;
  std::vector<std::thread> threads_;
};

}  // namespace gb::pipeline::detail
