#include "http/detail/gzip_inflater.hpp"

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>

namespace gb::http::detail {
namespace {
// isal_inflate counts in 32-bit fields: feed at most this much per call.
constexpr std::size_t kMaxInputSlice = std::size_t{1} << 30;
}  // namespace

GzipInflater::GzipInflater() : state_(std::make_unique<inflate_state>()), block_(new char[kBlockBytes]) {
  isal_inflate_init(state_.get());
}

GzipInflater::~GzipInflater() = default;

Status GzipInflater::write(std::string_view in, const Output& out) {
  inflate_state& s = *state_;
  while (!in.empty()) {
    const std::size_t slice = std::min(in.size(), kMaxInputSlice);
    // ISA-L's API is not const-correct; it never writes through next_in.
    s.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<std::uint32_t>(slice);
    in.remove_prefix(slice);
    for (;;) {
      if (!in_member_) {
        if (s.avail_in == 0) break;
        // The next member starts right after the previous one's trailer.
        header_ = GzipHeaderReader();
        in_member_ = true;
      }
      if (!header_.done()) {
        auto taken = header_.feed(std::string_view(reinterpret_cast<const char*>(s.next_in), s.avail_in));
        if (!taken.ok()) return taken.error();
        s.next_in += *taken;
        s.avail_in -= static_cast<std::uint32_t>(*taken);
        if (!header_.done()) break;  // needs the next piece
        // ISA-L takes it from the deflate data on and checks the trailer (CRC-32, ISIZE).
        isal_inflate_reset(&s);
        s.crc_flag = ISAL_GZIP_NO_HDR_VER;
      }
      s.next_out = reinterpret_cast<std::uint8_t*>(block_.get());
      s.avail_out = static_cast<std::uint32_t>(kBlockBytes);
      const std::uint32_t avail_in_before = s.avail_in;
      const int rc = isal_inflate(&s);
      // What was decoded before a fault is handed on first: the receiver's
      // cap counts it, and a body already over the cap stops there.
      const std::size_t produced = kBlockBytes - s.avail_out;
      if (produced > 0 && !out(std::string_view(block_.get(), produced))) return ok_status();
      if (rc != ISAL_DECOMP_OK) return error_from_isal(rc);
      if (s.block_state == ISAL_BLOCK_FINISH) {
        in_member_ = false;
        ++members_;
        continue;
      }
      if (produced == kBlockBytes) continue;  // more output may be waiting
      if (s.avail_in == 0) break;             // needs the next piece
      if (s.avail_in == avail_in_before && produced == 0) {
        return internal_error("gzip inflate made no progress");  // a bug in how ISA-L is driven
      }
    }
  }
  return ok_status();
}

Status GzipInflater::finish() const {
  if (in_member_) return transient_error("gzip stream truncated: the body ended inside a gzip member");
  return ok_status();
}

Error error_from_isal(int code) {
  std::string_view what;
  switch (code) {
    case ISAL_INVALID_BLOCK: what = "invalid deflate block"; break;
    case ISAL_INVALID_SYMBOL: what = "invalid deflate symbol"; break;
    case ISAL_INVALID_LOOKBACK: what = "invalid back-reference distance"; break;
    case ISAL_INVALID_WRAPPER: what = "not a gzip header"; break;
    case ISAL_UNSUPPORTED_METHOD: what = "unsupported compression method"; break;
    case ISAL_INCORRECT_CHECKSUM: what = "CRC or length mismatch"; break;
    case ISAL_NEED_DICT: what = "needs a preset dictionary"; break;
    default: what = "unexpected inflate result"; break;
  }
  // Corrupt bytes on the wire are transient, like a truncated body.
  return transient_error(fmt::format("corrupt gzip stream: {} (isal {})", what, code));
}

}  // namespace gb::http::detail
