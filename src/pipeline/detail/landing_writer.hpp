#pragma once
// The one thread that lands chunks. SQLite has one writer, and one writer fed
// through a bounded queue keeps the store busy while downloads run ahead.
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>

#include "base/result.hpp"
#include "pipeline/detail/bounded_queue.hpp"
#include "sinks/sink.hpp"

namespace gb::pipeline::detail {

struct LandingItem {
  sinks::ChunkRef chunk;
  std::unique_ptr<sinks::BatchSource> source;
  int attempts = 1;
  // Told the outcome on the writer thread, after the transaction ended.
  std::function<void(const sinks::ChunkRef&, const Result<sinks::LandResult>&)> done;
};

// Thread-safe submit(); the writer thread calls Sink::land for each item in
// the order submitted. finish() (also run by the destructor) lands everything
// already submitted, then joins.
class LandingWriter {
 public:
  LandingWriter(sinks::Sink& sink, std::size_t queue_capacity);
  ~LandingWriter();
  LandingWriter(const LandingWriter&) = delete;
  LandingWriter& operator=(const LandingWriter&) = delete;

  // Blocks while the queue is full. False once finish() has been called.
  bool submit(LandingItem item);
  void finish();

 private:
  void run();

  sinks::Sink& sink_;
  BoundedQueue<LandingItem> queue_;
  std::thread thread_;
};

}  // namespace gb::pipeline::detail
