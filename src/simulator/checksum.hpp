#pragma once
// The order-independent checksum of record keys reported by /__sim/stats:
// the sum mod 2^64 of FNV-1a-64 of each key's bytes, printed as 16
// lower-case hex digits. Unlike XOR, a duplicated key changes it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.hpp"

namespace gb::simulator {

using gb::fnv1a64;

// Incremental form. Not thread-safe; cheap to copy.
class KeyChecksum {
 public:
  void add(std::string_view key) {
    sum_ += fnv1a64(key);
    ++count_;
  }
  std::uint64_t value() const { return sum_; }
  std::uint64_t count() const { return count_; }
  std::string hex() const;

 private:
  std::uint64_t sum_ = 0;
  std::uint64_t count_ = 0;
};

std::uint64_t key_checksum(const std::vector<std::string>& keys);
std::string checksum_hex(std::uint64_t value);  // 16 lower-case hex digits

}  // namespace gb::simulator
