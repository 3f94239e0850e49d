#pragma once
// File descriptors as RAII handles, and the one place errno becomes an Error.
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::detail {

// errno after a failed call: kInternal (a disk or permission problem of this
// machine; the landing is retried by the caller like any internal failure).
Error errno_error(int err, std::string_view what, std::string_view path);

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Writes all of `bytes` (a short write or EINTR goes on).
Status write_all(int fd, std::string_view bytes, std::string_view path);
// Opens `path` (a directory) and fsyncs it: makes a rename or a new entry in
// it durable.
Status fsync_dir(const std::string& path);

}  // namespace gb::sinks::detail
