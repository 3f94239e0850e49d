#include "simulator/detail/gzip_stream.hpp"

#include <algorithm>

namespace gb::simulator::detail {
namespace {
constexpr std::size_t kInputSlice = std::size_t{256} * 1024;
}

GzipStream::GzipStream(std::shared_ptr<const std::string> body, int level) : body_(std::move(body)) {
  // windowBits 15 + 16: a gzip header and trailer rather than a zlib one.
  ok_ = deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipStream::~GzipStream() {
  if (ok_) deflateEnd(&zs_);
}

long GzipStream::read(char* out, std::size_t max) {
  if (!ok_) return -1;
  if (finished_) return 0;
  zs_.next_out = reinterpret_cast<Bytef*>(out);
  zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(max, 1u << 30));
  while (zs_.avail_out > 0) {
    if (zs_.avail_in == 0 && offset_ < body_->size()) {
      const std::size_t n = std::min(kInputSlice, body_->size() - offset_);
      // zlib's API is not const-correct; it never writes through next_in.
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body_->data() + offset_));
      zs_.avail_in = static_cast<uInt>(n);
      offset_ += n;
    }
    const int flush = (offset_ >= body_->size()) ? Z_FINISH : Z_NO_FLUSH;
    const int rc = deflate(&zs_, flush);
    if (rc == Z_STREAM_END) {
      finished_ = true;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return -1;
    if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && offset_ >= body_->size() && flush != Z_FINISH) break;
  }
  return static_cast<long>(max - zs_.avail_out);
}

std::string gzip_whole(std::shared_ptr<const std::string> body, int level) {
  GzipStream stream(std::move(body), level);
  std::string packed;
  constexpr std::size_t kBlock = std::size_t{256} * 1024;
  long n = 0;
  do {
    const std::size_t at = packed.size();
    packed.resize(at + kBlock);
    n = stream.read(packed.data() + at, kBlock);
    packed.resize(at + static_cast<std::size_t>(std::max(n, 0L)));
  } while (n > 0);
  if (n < 0) packed.clear();
  packed.shrink_to_fit();
  return packed;
}

}  // namespace gb::simulator::detail
