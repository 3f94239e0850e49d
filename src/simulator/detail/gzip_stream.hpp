#pragma once
// Streams a gzip encoding of a body held in memory, a block at a time, so a
// 100 MB chunk is never compressed into a second 100 MB buffer. One stream
// per response; not thread-safe (libmicrohttpd calls a response's reader
// from one thread at a time).
#include <zlib.h>

#include <cstddef>
#include <memory>
#include <string>

namespace gb::simulator::detail {

class GzipStream {
 public:
  // level: zlib's 1 (fast) .. 9 (small).
  GzipStream(std::shared_ptr<const std::string> body, int level = 1);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Writes up to `max` compressed bytes into out. Returns bytes written,
  // 0 when the stream has ended, -1 on a zlib error.
  long read(char* out, std::size_t max);

 private:
  std::shared_ptr<const std::string> body_;
  z_stream zs_{};
  std::size_t offset_ = 0;
  bool finished_ = false;
  bool ok_ = false;
};

// The whole gzip encoding of body at once (for a body stored compressed, as a
// CDN stores it). Empty only when zlib fails (out of memory).
std::string gzip_whole(std::shared_ptr<const std::string> body, int level);

}  // namespace gb::simulator::detail
