#pragma once
// The one thread that lands chunks. SQLite has one writer, and one writer fed
// through a bounded queue keeps the store busy while downloads run ahead.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "pipeline/detail/bounded_queue.hpp"
#include "sinks/sink.hpp"

namespace gb::pipeline::detail {

struct LandingItem {
  sinks::ChunkRef chunk;
  std::unique_ptr<sinks::BatchSource> source;
  int attempts = 1;
  // A cursor page's: the next page's cursor, kept in its ledger row (Sink::land_page).
  std::optional<std::string> next_cursor;
  // Told the outcome on the writer thread, after the transaction ended.
  std::function<void(const sinks::ChunkRef&, const Result<sinks::LandResult>&)> done;
};

// Thread-safe submit(); the writer thread calls Sink::land for each item in
// the order submitted. finish() (also run by the destructor) lands everything
// already submitted, then joins.
class LandingWriter {
 public:
  LandingWriter(sinks::Sink& sink, std::size_t queue_capacity, const Clock& clock);
  ~LandingWriter();
  LandingWriter(const LandingWriter&) = delete;
  LandingWriter& operator=(const LandingWriter&) = delete;

  // Blocks while the queue is full. False once finish() has been called.
  bool submit(LandingItem item);
  void finish();

  // Time spent inside Sink::land so far. Beside the run's wall time it says
  // whether the store was the bottleneck (busy nearly all the time) or waited
  // for downloads. Read after finish().
  Duration busy() const { return busy_; }

 private:
  void run();

  sinks::Sink& sink_;
  const Clock& clock_;
  Duration busy_{};  // written by the writer thread only; read after join
  BoundedQueue<LandingItem> queue_;
  std::thread thread_;
};

}  // namespace gb::pipeline::detail
