#include "sinks/s3/detail/spool_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gb::sinks::s3::detail {
namespace {

Error io_error(const char* what) {
  return internal_error(fmt::format("s3 spool file: {}: {}", what, std::strerror(errno)));
}

}  // namespace

Result<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string pattern = (dir / "genesys-bulk-s3-XXXXXX").string();
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return io_error(("cannot create a temporary file in " + dir.string()).c_str());
    ::unlink(pattern.c_str());  // the descriptor keeps it alive
  }
  return std::unique_ptr<SpoolFile>(new SpoolFile(fd));
}

SpoolFile::~SpoolFile() {
  ::close(fd_);
}

Status SpoolFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write failed");
    }
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Status SpoolFile::read_at(std::uint64_t offset, char* out, std::size_t size) const {
  while (size > 0) {
    const ssize_t n = ::pread(fd_, out, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read failed");
    }
    if (n == 0) return internal_error("s3 spool file: short read");
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return ok_status();
}

}  // namespace gb::sinks::s3::detail
