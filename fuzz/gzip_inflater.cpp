// Fuzzes http::detail::GzipInflater, which decodes every gzip body a server
// sends (Content-Encoding: gzip), fed in slices as curl hands them over.
//
// Input: 5 header bytes, then the payload.
//   byte 0  bit 0: build: the payload is plain bytes, gzip-encoded here by
//                  zlib (so about half the runs decode a valid stream);
//                  otherwise the payload is the body itself
//           bit 1: build: two members, the payload split at byte 4
//           bits 2-4: build: zlib level 0-7 (0 = stored blocks)
//           bit 5: build: then flip one bit, at byte 4 (corrupt)
//           bit 6: build: then cut the last byte 4 + 1 bytes (truncated)
//           bit 7: a small decoded-size cap (byte 4 * 61 bytes) instead of 64 MiB
//   bytes 1-3: slice sizes (n + 1), used in turn
// Checks, for every input:
//   - every slicing (whole, the header's sizes, one byte at a time) gives the
//     same bytes and the same outcome (ok, or the same error);
//   - the outcome matches zlib's inflate of the same body (multi-member, as
//     RFC 9110 allows): zlib's bytes when zlib decodes it, an error (always
//     transient) when zlib finds it corrupt or truncated (which of the two
//     may differ: zlib checks the CRC before the trailer's length arrives,
//     and waits for two bytes before judging the magic);
//   - before an error, the bytes handed on agree with zlib's (one may have
//     got further);
//   - no block handed on is larger than kBlockBytes, and when the receiver
//     refuses at the cap (as the transport does) decoding stops there: at
//     most one block past the cap, and what was handed on is a prefix of
//     the whole body's bytes. (Whether a corrupt body hits the cap before
//     its error may depend on the slicing: ISA-L fed one byte at a time may
//     withhold the last few bytes before a fault.)
#include "http/detail/gzip_inflater.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using gb::http::detail::GzipInflater;

constexpr std::size_t kBigCap = std::size_t{64} << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::string bytes;
  bool ok = false;
  bool capped = false;  // the receiver refused a block (decoded size over the cap)
  gb::ErrorKind kind = gb::ErrorKind::kInternal;
  bool truncated = false;    // the error says the body ended inside a member
  std::string before_error;  // bytes handed on before the error (not compared)
  std::string message;       // not compared: ISA-L may name another defect when fed in pieces

  bool operator==(const Outcome& o) const {
    return bytes == o.bytes && ok == o.ok && capped == o.capped && kind == o.kind && truncated == o.truncated;
  }
};

// Feeds `body` in slices of sizes[i % sizes.size()] bytes (all of it at once
// when `sizes` is empty), refusing blocks once more than `cap` bytes came.
Outcome inflate(std::string_view body, const std::vector<std::size_t>& sizes, std::size_t cap) {
  Outcome out;
  GzipInflater inflater;
  const GzipInflater::Output receive = [&](std::string_view block) {
    check(!block.empty() && block.size() <= GzipInflater::kBlockBytes);
    check(!out.capped);  // nothing after a refusal
    out.bytes.append(block);
    if (out.bytes.size() > cap) out.capped = true;
    return !out.capped;
  };
  gb::Status status = gb::ok_status();
  if (sizes.empty()) {
    status = inflater.write(body, receive);
  } else {
    for (std::size_t at = 0, i = 0; at < body.size() && status.ok() && !out.capped; ++i) {
      const std::size_t n = std::min(sizes[i % sizes.size()], body.size() - at);
      status = inflater.write(body.substr(at, n), receive);
      at += n;
    }
  }
  if (status.ok() && !out.capped) status = inflater.finish();
  out.ok = status.ok();
  if (!out.ok) {
    check(!out.capped);  // a refusal makes write() return ok at once
    out.kind = status.error().kind;
    out.message = status.error().message;
    out.truncated = out.message.find("truncated") != std::string::npos;
    out.before_error = std::move(out.bytes);  // how far decoding got may depend on the slicing
    out.bytes.clear();
  }
  return out;
}

enum class Zlib { kOk, kCorrupt, kTruncated };

// zlib's inflate of the same body: members one after the other, each a gzip
// member (windowBits 15 + 16), until the body ends.
Zlib zlib_inflate(std::string_view body, std::string& bytes) {
  z_stream zs{};
  check(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  std::vector<char> buffer(std::size_t{64} * 1024);
  Zlib result = Zlib::kOk;
  bool in_member = false;
  while (zs.avail_in > 0 || in_member) {
    in_member = true;
    zs.next_out = reinterpret_cast<Bytef*>(buffer.data());
    zs.avail_out = static_cast<uInt>(buffer.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    bytes.append(buffer.data(), buffer.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      in_member = false;
      check(inflateReset(&zs) == Z_OK);
      continue;
    }
    if (rc == Z_DATA_ERROR) {
      result = Zlib::kCorrupt;
      break;
    }
    check(rc == Z_OK || rc == Z_BUF_ERROR);
    if (zs.avail_in == 0 && zs.avail_out > 0) {
      result = Zlib::kTruncated;
      break;
    }
  }
  inflateEnd(&zs);
  return result;
}

// zlib's deflate with a gzip wrapper, as a server encodes.
std::string gzip(std::string_view in, int level) {
  z_stream zs{};
  check(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  check(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const std::uint8_t mode = data[0];
  const std::vector<std::size_t> sizes = {std::size_t{data[1]} + 1, std::size_t{data[2]} + 1, std::size_t{data[3]} + 1};
  const std::size_t param = data[4];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 5, size - 5);

  std::string body;
  if ((mode & 1) != 0) {
    const int level = (mode >> 2) & 7;
    if ((mode & 2) != 0) {
      const std::size_t split = std::min(param, payload.size());
      body = gzip(payload.substr(0, split), level) + gzip(payload.substr(split), level);
    } else {
      body = gzip(payload, level);
    }
    if ((mode & 0x20) != 0) {
      auto& byte = body[param % body.size()];
      byte = static_cast<char>(static_cast<unsigned char>(byte) ^ (1U << (param % 8)));
    }
    if ((mode & 0x40) != 0) body.resize(body.size() - std::min(body.size(), param + 1));
  } else {
    body = payload;
  }
  const std::size_t cap = (mode & 0x80) != 0 ? param * 61 : kBigCap;

  const Outcome whole = inflate(body, {}, kBigCap);
  check(!whole.capped);
  check(inflate(body, sizes, kBigCap) == whole);
  check(inflate(body, {1}, kBigCap) == whole);
  if (!whole.ok) check(whole.kind == gb::ErrorKind::kTransient);

  std::string reference;
  const Zlib z = zlib_inflate(body, reference);
  check(whole.ok == (z == Zlib::kOk));
  if (whole.ok) check(whole.bytes == reference);
  // Before a fault both decoders hand on the same bytes, one maybe further.
  if (!whole.ok) {
    const std::string_view ours = whole.before_error;
    check(ours.starts_with(reference) || std::string_view(reference).starts_with(ours));
  }

  if (cap < kBigCap) {
    for (const auto& slicing : {std::vector<std::size_t>{}, sizes, std::vector<std::size_t>{1}}) {
      const Outcome capped = inflate(body, slicing, cap);

      check(capped.bytes.size() <= cap + GzipInflater::kBlockBytes);
      if (whole.ok && whole.bytes.size() > cap) check(capped.capped);
      if (capped.capped) {
        check(capped.ok && capped.bytes.size() > cap);
        if (whole.ok) check(std::string_view(whole.bytes).starts_with(capped.bytes));
      } else {
        check(capped == whole);
      }
    }
  }
  return 0;
}
