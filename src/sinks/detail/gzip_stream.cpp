#include "sinks/detail/gzip_stream.hpp"

#include <fmt/format.h>

namespace gb::sinks::detail {
namespace {

constexpr std::size_t kOutPiece = GzipDeflater::kOutPieceBytes;
constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper

}  // namespace

Error zlib_error(int rc, const z_stream& zs, std::string_view what) {
  const char* msg = zs.msg != nullptr ? zs.msg : zError(rc);
  return internal_error(fmt::format("zlib: {}: {} ({})", what, msg, rc));
}

void ZStreamDeleter::operator()(z_stream* zs) const {
  if (deflating) {
    deflateEnd(zs);
  } else {
    inflateEnd(zs);
  }
  delete zs;
}

Result<GzipDeflater> GzipDeflater::make() {
  auto* raw = new z_stream{};
  const int rc = deflateInit2(raw, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    Error e = zlib_error(rc, *raw, "deflateInit2");
    delete raw;
    return e;
  }
  GzipDeflater d{ZStreamPtr(raw, ZStreamDeleter{true})};
  d.buffer_.resize(kOutPiece);
  return d;
}

Status GzipDeflater::write(std::string_view in, const ByteFn& out) {
  return run(in, Z_NO_FLUSH, out);
}

Status GzipDeflater::finish(const ByteFn& out) {
  return run({}, Z_FINISH, out);
}

Status GzipDeflater::run(std::string_view in, int flush, const ByteFn& out) {
  z_stream& zs = *zs_;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer_.data());
    zs.avail_out = static_cast<uInt>(buffer_.size());
    const int rc = deflate(&zs, flush);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return zlib_error(rc, zs, "deflate");
    const std::size_t produced = buffer_.size() - zs.avail_out;
    if (produced > 0) {
      auto sent = out(std::string_view(buffer_.data(), produced));
      if (!sent) return sent;
    }
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs.avail_in == 0 && zs.avail_out != 0)) return ok_status();
  }
}

Result<GzipInflater> GzipInflater::make() {
  auto* raw = new z_stream{};
  const int rc = inflateInit2(raw, kGzipWindowBits);
  if (rc != Z_OK) {
    Error e = zlib_error(rc, *raw, "inflateInit2");
    delete raw;
    return e;
  }
  GzipInflater g{ZStreamPtr(raw, ZStreamDeleter{false})};
  g.buffer_.resize(kOutPiece);
  return g;
}

Status GzipInflater::write(std::string_view in, const ByteFn& out) {
  z_stream& zs = *zs_;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  // Also goes on while the last round filled the whole buffer: zlib may hold
  // more output for the input it already took.
  bool full = false;
  while (zs.avail_in > 0 || full) {
    if (zs.avail_in > 0) in_member_ = true;
    zs.next_out = reinterpret_cast<Bytef*>(buffer_.data());
    zs.avail_out = static_cast<uInt>(buffer_.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return zlib_error(rc, zs, "inflate");
    const std::size_t produced = buffer_.size() - zs.avail_out;
    full = zs.avail_out == 0;
    if (produced > 0) {
      auto sent = out(std::string_view(buffer_.data(), produced));
      if (!sent) return sent;
    }
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      const int reset = inflateReset(&zs);
      if (reset != Z_OK) return zlib_error(reset, zs, "inflateReset");
    } else if (rc == Z_BUF_ERROR && produced == 0) {
      break;  // needs more input than this piece has
    }
  }
  return ok_status();
}

Status GzipInflater::finish() {
  if (in_member_) return internal_error("gzip: the object ends inside a gzip member (truncated)");
  return ok_status();
}

}  // namespace gb::sinks::detail
