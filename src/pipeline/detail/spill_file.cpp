#include "pipeline/detail/spill_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace gb::pipeline::detail {
namespace {

constexpr char kRecordTag = 'R';
constexpr char kQuarantinedTag = 'Q';
constexpr char kLargeTag = 'L';  // a quarantined record read back in pieces
// A frame's length fields come from our own file, but a short read or a bug
// must not turn into a huge allocation.
constexpr std::uint64_t kMaxFieldBytes = std::uint64_t{1} << 34;

Error io_error(const char* what) {
  return internal_error(fmt::format("spill file: {}: {}", what, std::strerror(errno)));
}

bool write_all(std::FILE* f, const void* data, std::size_t size) {
  return std::fwrite(data, 1, size, f) == size;
}

bool write_frame(std::FILE* f, char tag, std::uint64_t ordinal, const std::string& text, const std::string& raw) {
  const std::uint64_t text_size = text.size();
  const std::uint64_t raw_size = raw.size();
  return write_all(f, &tag, 1) && write_all(f, &ordinal, sizeof ordinal) &&
         write_all(f, &text_size, sizeof text_size) && write_all(f, &raw_size, sizeof raw_size) &&
         write_all(f, text.data(), text.size()) && write_all(f, raw.data(), raw.size());
}

bool read_all(std::FILE* f, void* data, std::size_t size) {
  return std::fread(data, 1, size, f) == size;
}

// The bytes of a large frame, read with pread: the FILE's own position and
// buffer (the reader's) are left alone.
class FileRange final : public records::LargeBytes {
 public:
  FileRange(int fd, std::uint64_t offset, std::uint64_t size) : fd_(fd), offset_(offset), size_(size) {}
  std::uint64_t size() const override { return size_; }
  Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const override {
    if (offset >= size_) return std::size_t{0};
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
    const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset_ + offset));
    if (got < 0) return io_error("read failed");
    if (got == 0) return internal_error("spill file: short read");
    return static_cast<std::size_t>(got);
  }

 private:
  int fd_;
  std::uint64_t offset_;
  std::uint64_t size_;
};

}  // namespace

Result<std::unique_ptr<SpillFile>> SpillFile::create(const std::filesystem::path& dir) {
  // A file without a name from the start, so that not even a kill -9 can
  // leave one behind; filesystems without O_TMPFILE get a named file
  // unlinked at once (a window of two system calls).
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string pattern = (dir / "genesys-bulk-spill-XXXXXX").string();
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return io_error("cannot create a temporary file");
    ::unlink(pattern.c_str());  // the open descriptor keeps it alive
  }
  std::FILE* file = ::fdopen(fd, "w+b");
  if (file == nullptr) {
    ::close(fd);
    return io_error("cannot open the temporary file");
  }
  return std::unique_ptr<SpillFile>(new SpillFile(file));
}

SpillFile::~SpillFile() {
  std::fclose(file_);
}

Status SpillFile::append(const records::RecordBatch& batch) {
  for (const auto& r : batch.records) {
    if (!write_frame(file_, kRecordTag, r.ordinal, r.key, r.raw)) return io_error("write failed");
    bytes_written_ += r.raw.size();
  }
  for (const auto& q : batch.quarantined) {
    if (!write_frame(file_, kQuarantinedTag, q.ordinal, q.reason, q.raw)) return io_error("write failed");
    bytes_written_ += q.raw.size();
  }
  return ok_status();
}

Status SpillFile::begin_large(std::uint64_t ordinal, const std::string& reason) {
  const std::uint64_t text_size = reason.size();
  const std::uint64_t raw_size = 0;  // written by end_large()
  if (!write_all(file_, &kLargeTag, 1) || !write_all(file_, &ordinal, sizeof ordinal) ||
      !write_all(file_, &text_size, sizeof text_size)) {
    return io_error("write failed");
  }
  large_size_at_ = ::ftello(file_);
  large_size_ = 0;
  if (large_size_at_ < 0 || !write_all(file_, &raw_size, sizeof raw_size) ||
      !write_all(file_, reason.data(), reason.size())) {
    return io_error("write failed");
  }
  return ok_status();
}

Status SpillFile::append_large(std::string_view bytes) {
  if (!write_all(file_, bytes.data(), bytes.size())) return io_error("write failed");
  large_size_ += bytes.size();
  bytes_written_ += bytes.size();
  return ok_status();
}

Status SpillFile::end_large() {
  if (::fseeko(file_, large_size_at_, SEEK_SET) != 0 || !write_all(file_, &large_size_, sizeof large_size_) ||
      ::fseeko(file_, 0, SEEK_END) != 0) {
    return io_error("write failed");
  }
  large_size_at_ = -1;
  return ok_status();
}

Status SpillFile::finish_writing() {
  if (std::fflush(file_) != 0) return io_error("flush failed");
  std::rewind(file_);
  return ok_status();
}

Result<bool> SpillFile::read_batch(records::RecordBatch& batch, std::uint64_t max_bytes) {
  batch.clear();
  while (batch.raw_bytes < max_bytes || batch.empty()) {
    char tag = 0;
    if (std::fread(&tag, 1, 1, file_) != 1) {
      if (std::ferror(file_)) return io_error("read failed");
      break;  // clean end of file
    }
    std::uint64_t ordinal = 0, text_size = 0, raw_size = 0;
    if (!read_all(file_, &ordinal, sizeof ordinal) || !read_all(file_, &text_size, sizeof text_size) ||
        !read_all(file_, &raw_size, sizeof raw_size) || text_size > kMaxFieldBytes || raw_size > kMaxFieldBytes ||
        (tag != kRecordTag && tag != kQuarantinedTag && tag != kLargeTag)) {
      return internal_error("spill file: corrupt frame");
    }
    if (tag == kLargeTag) {
      std::string reason(text_size, '\0');
      const off_t at = ::ftello(file_) + static_cast<off_t>(text_size);
      if (!read_all(file_, reason.data(), reason.size()) ||
          ::fseeko(file_, static_cast<off_t>(raw_size), SEEK_CUR) != 0) {
        return internal_error("spill file: short read");
      }
      records::Quarantined q;
      q.ordinal = ordinal;
      q.reason = std::move(reason);
      q.large = std::make_shared<FileRange>(::fileno(file_), static_cast<std::uint64_t>(at), raw_size);
      batch.quarantined.push_back(std::move(q));
      break;  // its bytes are read while this batch is landed, never all at once
    }
    std::string text(text_size, '\0');
    std::string raw(raw_size, '\0');
    if (!read_all(file_, text.data(), text.size()) || !read_all(file_, raw.data(), raw.size())) {
      return internal_error("spill file: short read");
    }
    batch.raw_bytes += raw.size();
    if (tag == kRecordTag) {
      batch.records.push_back({ordinal, std::move(text), std::move(raw)});
    } else {
      batch.quarantined.push_back({ordinal, std::move(text), std::move(raw)});
    }
  }
  return !batch.empty();
}

}  // namespace gb::pipeline::detail
