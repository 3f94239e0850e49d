#include "sinks/files/detail/posix_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gb::sinks::detail {

Error errno_error(int err, std::string_view what, std::string_view path) {
  return internal_error(fmt::format("files: {} '{}': {}", what, path, std::strerror(err)));
}

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status write_all(int fd, std::string_view bytes, std::string_view path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Status fsync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error(errno, "open directory", path);
  if (::fsync(fd.get()) != 0) return errno_error(errno, "fsync directory", path);
  return ok_status();
}

}  // namespace gb::sinks::detail
