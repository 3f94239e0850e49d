#pragma once
// A chunk too big to hold in memory is spilled here as it is parsed: records
// and quarantined elements, framed, in an anonymous temporary file. The file
// is unlinked as soon as it is created, so it disappears when closed, on
// every path: success, error, exception or kill -9.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "records/record.hpp"

namespace gb::pipeline::detail {

// Not thread-safe: one writer, then one reader (after finish_writing()).
class SpillFile {
 public:
  // Creates the file in `dir`; kInternal if it cannot.
  static Result<std::unique_ptr<SpillFile>> create(const std::filesystem::path& dir);
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  Status append(const records::RecordBatch& batch);
  // A quarantined record too large to hold in memory, written as it
  // arrives: begin_large(), append_large() for each piece, end_large().
  // Read back as a Quarantined whose `large` reads it from this file.
  Status begin_large(std::uint64_t ordinal, const std::string& reason);
  Status append_large(std::string_view bytes);
  Status end_large();
  // Flushes and rewinds; after it, only read_batch().
  Status finish_writing();
  // Fills `batch` (cleared first) with up to `max_bytes` of raw payload (at
  // least one element); false at the end.
  Result<bool> read_batch(records::RecordBatch& batch, std::uint64_t max_bytes);

  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  explicit SpillFile(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  std::uint64_t bytes_written_ = 0;
  long long large_size_at_ = -1;  // offset of the open large frame's size field
  std::uint64_t large_size_ = 0;
};

}  // namespace gb::pipeline::detail
