#include "simulator/checksum.hpp"

#include <fmt/format.h>

namespace gb::simulator {

std::string checksum_hex(std::uint64_t value) {
  return fmt::format("{:016x}", value);
}

std::string KeyChecksum::hex() const {
  return checksum_hex(sum_);
}

std::uint64_t key_checksum(const std::vector<std::string>& keys) {
  KeyChecksum sum;
  for (const auto& k : keys) sum.add(k);
  return sum.value();
}

}  // namespace gb::simulator
