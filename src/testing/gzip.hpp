#pragma once
// gzip-encodes bytes with zlib, as a server would, for tests and benchmarks
// that need a body to inflate. Throws on a zlib failure (a bug here).
#include <zlib.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace gb {

// windowBits 15 + 16: a gzip wrapper around the deflate stream.
inline std::string gzip(std::string_view in, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("zlib");
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate");
  out.resize(zs.total_out);
  return out;
}

}  // namespace gb
