#include "pipeline/detail/landing_writer.hpp"

#include "base/log.hpp"
#include "pipeline/detail/thread_boundary.hpp"

namespace gb::pipeline::detail {

LandingWriter::LandingWriter(sinks::Sink& sink, std::size_t queue_capacity, const Clock& clock)
    : sink_(sink), clock_(clock), queue_(queue_capacity), thread_([this] { run(); }) {}

LandingWriter::~LandingWriter() {
  finish();
}

bool LandingWriter::submit(LandingItem item) {
  return queue_.push(std::move(item));
}

void LandingWriter::finish() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void LandingWriter::run() {
  while (auto item = queue_.pop()) {
    const SteadyTime start = clock_.now();
    Result<sinks::LandResult> landed = internal_error("not landed");
    // A store that throws fails this chunk (its transaction rolled back) and
    // the writer goes on with the next one.
    if (auto thrown = run_catching([&] {
          landed = item->next_cursor ? sink_.land_page(item->chunk, *item->source, item->attempts, *item->next_cursor)
                                     : sink_.land(item->chunk, *item->source, item->attempts);
        })) {
      landed = internal_error("landing threw: " + *thrown);
    }
    busy_ += clock_.now() - start;
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
