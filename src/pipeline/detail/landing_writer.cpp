#include "pipeline/detail/landing_writer.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "pipeline/detail/thread_boundary.hpp"

namespace gb::pipeline::detail {

LandingWriter::LandingWriter(sinks::Landing& landing, int threads, std::size_t queue_capacity, const Clock& clock)
    : landing_(landing), clock_(clock), busy_(static_cast<std::size_t>(std::max(threads, 1))), queue_(queue_capacity) {
  threads_.reserve(busy_.size());
  for (auto& busy : busy_) threads_.emplace_back([this, &busy] { run(busy); });
}

LandingWriter::~LandingWriter() {
  finish();
}

bool LandingWriter::submit(LandingItem item) {
  return queue_.push(std::move(item));
}

void LandingWriter::finish() {
  queue_.close();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

Duration LandingWriter::busy() const {
  Duration total{};
  for (const auto& busy : busy_) total += busy;
  return total;
}

void LandingWriter::run(Duration& busy) {
  while (auto item = queue_.pop()) {
    const SteadyTime start = clock_.now();
    Result<sinks::LandResult> landed = internal_error("not landed");
    // A store that throws fails this chunk (its transaction rolled back) and
    // the writer goes on with the next one.
    if (auto thrown = run_catching(
            [&] { landed = landing_.land(item->chunk, *item->source, item->attempts, item->next_cursor); })) {
      landed = internal_error("landing threw: " + *thrown);
    }
    busy += clock_.now() - start;
    item->source.reset();  // frees the memory or removes the spill file before the next chunk
    if (!item->done) continue;
    if (auto thrown = run_catching([&] { item->done(item->chunk, landed); })) {
      log::error("landing writer: reporting a chunk's outcome threw")
          .field("job_id", item->chunk.job_id)
          .field("chunk_id", item->chunk.chunk_id)
          .field("error", *thrown)
          .emit();
    }
  }
}

}  // namespace gb::pipeline::detail
