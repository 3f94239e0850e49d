#pragma once
// A fast, stable, non-cryptographic hash for ids and checksums that must be
// the same in every process and language (the conformance test recomputes it
// in JavaScript).
#include <cstdint>
#include <string_view>

namespace gb {

// FNV-1a, 64 bits.
constexpr std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace gb
