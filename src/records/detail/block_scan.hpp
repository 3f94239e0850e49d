#pragma once
// Stage 1 of the splitter: turns 64-byte blocks of a JSON body into bit masks
// (bit i = byte i of the block), the way simdjson's stage 1 does, so that the
// splitter looks only at the few bytes that matter instead of every byte.
// Strings and escapes are resolved here, across block (and slice) boundaries,
// through ScanCarry.
#include <cstddef>
#include <cstdint>

#include "records/scan_kernel.hpp"

namespace gb::records::detail {

inline constexpr std::size_t kBlockBytes = 64;

// Everything but `quote` and `non_ws` is restricted to bytes outside strings
// and not escaped by a backslash.
struct BlockBits {
  std::uint64_t open = 0;    // '[' or '{'
  std::uint64_t close = 0;   // ']' or '}'
  std::uint64_t comma = 0;   // ','
  std::uint64_t quote = 0;   // '"' that is not escaped: opens or closes a string
  std::uint64_t non_ws = 0;  // any byte but space, \t, \n, \r (strings included)
};

// What one block tells the next. Starts zeroed (outside strings, no escape).
struct ScanCarry {
  std::uint64_t escape_next = 0;  // 1: the next byte follows an odd run of backslashes
  std::uint64_t in_string = 0;    // all ones: the next byte is inside a string
};

// Classifies `blocks` whole blocks starting at `data` into out[0..blocks).
// `kernel` must be concrete (resolve_scan_kernel) and supported.
void scan_blocks(ScanKernel kernel, const char* data, std::size_t blocks, ScanCarry& carry, BlockBits* out);

// Classifies the last n (1..63) bytes of a slice; `block` holds them followed
// by spaces up to 64 bytes. The carry is what follows byte n-1.
BlockBits scan_partial(const char* block, std::size_t n, ScanCarry& carry);

}  // namespace gb::records::detail
