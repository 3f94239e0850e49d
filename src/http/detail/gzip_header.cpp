#include "http/detail/gzip_header.hpp"

#include <isa-l/crc.h>

namespace gb::http::detail {
namespace {
constexpr std::uint8_t kId1 = 0x1f;
constexpr std::uint8_t kId2 = 0x8b;
constexpr std::uint8_t kDeflate = 8;
constexpr std::uint8_t kFhcrc = 0x02;
constexpr std::uint8_t kFextra = 0x04;
constexpr std::uint8_t kFname = 0x08;
constexpr std::uint8_t kFcomment = 0x10;
// "A compliant decompressor must give an error indication if any reserved bit is non-zero."
constexpr std::uint8_t kReserved = 0xe0;
constexpr std::uint32_t kFixedBytes = 10;

Error corrupt(std::string_view what) {
  // Corrupt bytes on the wire are transient, like a truncated body.
  return transient_error(std::string("corrupt gzip stream: ") + std::string(what));
}
}  // namespace

GzipHeaderReader::Step GzipHeaderReader::after(Step from) const {
  switch (from) {
    case Step::kFixed:
      if ((flags_ & kFextra) != 0) return Step::kExtraLength;
      [[fallthrough]];
    case Step::kExtraLength:
    case Step::kExtra:
      if ((flags_ & kFname) != 0) return Step::kName;
      [[fallthrough]];
    case Step::kName:
      if ((flags_ & kFcomment) != 0) return Step::kComment;
      [[fallthrough]];
    case Step::kComment:
      if ((flags_ & kFhcrc) != 0) return Step::kHeaderCrc;
      [[fallthrough]];
    default: return Step::kDone;
  }
}

Result<std::size_t> GzipHeaderReader::feed(std::string_view in) {
  std::size_t taken = 0;
  while (taken < in.size() && step_ != Step::kDone) {
    const auto byte = static_cast<std::uint8_t>(in[taken++]);
    if (step_ != Step::kHeaderCrc) crc_ = crc32_gzip_refl(crc_, &byte, 1);
    Step next = step_;
    switch (step_) {
      case Step::kFixed:
        if ((count_ == 0 && byte != kId1) || (count_ == 1 && byte != kId2)) return corrupt("not a gzip header");
        if (count_ == 2 && byte != kDeflate) return corrupt("unsupported compression method");
        if (count_ == 3) {
          if ((byte & kReserved) != 0) return corrupt("reserved header flags set");
          flags_ = byte;
        }
        if (++count_ == kFixedBytes) next = after(Step::kFixed);
        break;
      case Step::kExtraLength:
        value_ |= std::uint32_t{byte} << (8 * count_);
        if (++count_ == 2) {
          extra_ = value_;
          next = extra_ > 0 ? Step::kExtra : after(Step::kExtra);
        }
        break;
      case Step::kExtra:
        if (++count_ == extra_) next = after(Step::kExtra);
        break;
      case Step::kName:
      case Step::kComment:
        if (byte == 0) next = after(step_);
        break;
      case Step::kHeaderCrc:
        value_ |= std::uint32_t{byte} << (8 * count_);
        if (++count_ == 2) {
          if (value_ != (crc_ & 0xffff)) return corrupt("header CRC mismatch");
          next = Step::kDone;
        }
        break;
      case Step::kDone: break;
    }
    if (next != step_) {
      step_ = next;
      count_ = 0;
      value_ = 0;
    }
  }
  return taken;
}

}  // namespace gb::http::detail
