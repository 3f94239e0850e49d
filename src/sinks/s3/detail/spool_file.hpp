#pragma once
// An unnamed temporary file holding an object's bytes until its upload, so an
// object of any size costs bounded memory. O_TMPFILE: not even a kill -9
// leaves it behind (a named file unlinked at once where the filesystem lacks
// O_TMPFILE). Closed by the destructor.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::s3::detail {

class SpoolFile {
 public:
  static Result<std::unique_ptr<SpoolFile>> create(const std::filesystem::path& dir);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  Status append(std::string_view bytes);
  // Fills `out` from `offset` (pread: the file has no shared position).
  Status read_at(std::uint64_t offset, char* out, std::size_t size) const;
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }

 private:
  explicit SpoolFile(int fd) : fd_(fd) {}
  int fd_;
  std::uint64_t size_ = 0;
};

}  // namespace gb::sinks::s3::detail
