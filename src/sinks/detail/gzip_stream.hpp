#pragma once
// gzip (RFC 1952) as a stream, over zlib, for objects that must come out the
// same byte for byte every time: the header carries no name and an mtime of
// 0 (zlib's default header), and the level and strategy are fixed. Same input,
// same zlib, same bytes.
#include <zlib.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::detail {

// Where compressed or decompressed bytes go, piece by piece.
using ByteFn = std::function<Status(std::string_view)>;

// The one place zlib's return codes become Errors (kInternal: data of ours
// that zlib refuses is a bug or a corrupt file, not something a retry fixes).
Error zlib_error(int rc, const z_stream& zs, std::string_view what);

struct ZStreamDeleter {
  bool deflating;
  void operator()(z_stream* zs) const;
};
using ZStreamPtr = std::unique_ptr<z_stream, ZStreamDeleter>;

class GzipDeflater {
 public:
  // Fixed: part of what makes the bytes the same. 1, not zlib's default 6:
  // on NDJSON of conversation records it deflates 2.3 times as fast (127 vs
  // 55 MB/s per core) for objects 18% larger (3.4:1 vs 4.0:1), and deflate
  // is what limits a gzip landing (bench_file_landing, docs/performance.md).
  static constexpr int kLevel = 1;
  // Its output piece plus zlib's deflate state (about 256 KiB with the
  // default window and memLevel), for memory accounting.
  static constexpr std::size_t kOutPieceBytes = std::size_t{256} * 1024;
  static constexpr std::size_t kMemoryBytes = kOutPieceBytes + std::size_t{320} * 1024;
  static Result<GzipDeflater> make();
  // Compresses `in`, handing compressed bytes to `out` as they come.
  Status write(std::string_view in, const ByteFn& out);
  // Flushes the rest and the gzip trailer.
  Status finish(const ByteFn& out);

 private:
  explicit GzipDeflater(ZStreamPtr zs) : zs_(std::move(zs)) {}
  Status run(std::string_view in, int flush, const ByteFn& out);
  ZStreamPtr zs_;
  std::string buffer_;
};

// Decompresses one gzip member (or several, concatenated).
class GzipInflater {
 public:
  static Result<GzipInflater> make();
  Status write(std::string_view in, const ByteFn& out);
  // kInternal when the stream stopped inside a member (a truncated object).
  Status finish();

 private:
  explicit GzipInflater(ZStreamPtr zs) : zs_(std::move(zs)) {}
  ZStreamPtr zs_;
  std::string buffer_;
  bool in_member_ = false;
};

}  // namespace gb::sinks::detail
