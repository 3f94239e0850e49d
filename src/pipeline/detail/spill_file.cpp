#include "pipeline/detail/spill_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gb::pipeline::detail {
namespace {

constexpr char kRecordTag = 'R';
constexpr char kQuarantinedTag = 'Q';
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

}  // namespace

Result<std::unique_ptr<SpillFile>> SpillFile::create(const std::filesystem::path& dir) {
  std::string pattern = (dir / "genesys-bulk-spill-XXXXXX").string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) return io_error("cannot create a temporary file");
  ::unlink(pattern.c_str());  // the open descriptor keeps it alive; nothing is left behind
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
        (tag != kRecordTag && tag != kQuarantinedTag)) {
      return internal_error("spill file: corrupt frame");
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
