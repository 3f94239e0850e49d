#pragma once
// Reads one gzip member header (RFC 1952 2.3) fed in pieces of any size:
// ID1 ID2 CM FLG MTIME XFL OS, then the optional FEXTRA, FNAME, FCOMMENT
// and FHCRC fields. ISA-L's own header parser ignores the reserved FLG bits
// and, given the header in pieces, checks FHCRC against the wrong bytes
// (both found by fuzz_gzip_inflater), so GzipInflater reads headers here and
// hands ISA-L only the deflate data and trailer. Skipped fields cost no
// memory, whatever their length.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.hpp"

namespace gb::http::detail {

class GzipHeaderReader {
 public:
  // Takes header bytes from the front of `in`; returns how many it took
  // (all of `in` unless the header ended inside it), or a transient error
  // for a header that is not gzip or is corrupt.
  Result<std::size_t> feed(std::string_view in);
  // The whole header was read: the deflate data starts after it.
  bool done() const { return step_ == Step::kDone; }

 private:
  enum class Step : std::uint8_t { kFixed, kExtraLength, kExtra, kName, kComment, kHeaderCrc, kDone };
  // The next step after `from`, as the flags ask.
  Step after(Step from) const;

  Step step_ = Step::kFixed;
  std::uint8_t flags_ = 0;
  std::uint32_t count_ = 0;  // bytes of the current step read so far
  std::uint32_t value_ = 0;  // little-endian number being read (XLEN, CRC16)
  std::uint32_t extra_ = 0;  // XLEN
  std::uint32_t crc_ = 0;    // CRC-32 of the header bytes before CRC16
};

}  // namespace gb::http::detail
