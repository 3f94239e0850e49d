#include "records/detail/block_scan.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace gb::records::detail {
namespace {

// Byte-at-a-time definition of the masks, with the same carry semantics: a
// backslash escapes the next byte anywhere; an unescaped quote toggles
// "inside a string"; escaped bytes are never structure.
struct Reference {
  bool escape_next = false;
  bool in_string = false;

  BlockBits scan(const char* data, std::size_t n) {
    BlockBits b;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      const char c = data[i];
      const bool escaped = escape_next;
      escape_next = !escaped && c == '\\';
      if (c == '"' && !escaped) {
        b.quote |= bit;
        in_string = !in_string;
        continue;
      }
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') b.non_ws |= bit;
      if (in_string || escaped) continue;
      if (c == '[' || c == '{') b.open |= bit;
      if (c == ']' || c == '}') b.close |= bit;
      if (c == ',') b.comma |= bit;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (data[i] == '"' && ((b.quote >> i) & 1)) b.non_ws |= std::uint64_t{1} << i;
    }
    return b;
  }
};

void expect_equal(const BlockBits& want, const BlockBits& got, std::uint64_t valid, const std::string& where) {
  EXPECT_EQ(want.open, got.open & valid) << where;
  EXPECT_EQ(want.close, got.close & valid) << where;
  EXPECT_EQ(want.comma, got.comma & valid) << where;
  EXPECT_EQ(want.quote, got.quote & valid) << where;
  EXPECT_EQ(want.non_ws, got.non_ws & valid) << where;
}

std::string random_text(std::mt19937_64& rng, std::size_t size) {
  const std::string alphabet = "\\\\\\\"\"[]{},  a\n\t";
  std::string s(size, ' ');
  for (auto& c : s) c = alphabet[rng() % alphabet.size()];
  return s;
}

TEST(BlockScan, KernelsAgreeWithTheByteReference) {
  std::mt19937_64 rng(1);
  std::vector<ScanKernel> kernels;
  for (ScanKernel k : {ScanKernel::kScalar, ScanKernel::kSse2, ScanKernel::kAvx2}) {
    if (scan_kernel_supported(k)) kernels.push_back(k);
  }
  ASSERT_TRUE(scan_kernel_supported(ScanKernel::kScalar));
  for (int round = 0; round < 2000; ++round) {
    const std::size_t blocks = 1 + rng() % 8;
    const std::string text = random_text(rng, blocks * kBlockBytes);
    Reference ref;
    std::vector<BlockBits> want;
    for (std::size_t b = 0; b < blocks; ++b) want.push_back(ref.scan(text.data() + b * kBlockBytes, kBlockBytes));
    for (ScanKernel k : kernels) {
      ScanCarry carry;
      std::vector<BlockBits> got(blocks);
      scan_blocks(k, text.data(), blocks, carry, got.data());
      for (std::size_t b = 0; b < blocks; ++b) expect_equal(want[b], got[b], ~std::uint64_t{0}, to_string(k));
      EXPECT_EQ(carry.escape_next, ref.escape_next ? 1u : 0u);
      EXPECT_EQ(carry.in_string, ref.in_string ? ~std::uint64_t{0} : 0u);
    }
  }
}

TEST(BlockScan, PartialBlocksCarryLikeWholeOnes) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 3000; ++round) {
    const std::string text = random_text(rng, 300);
    Reference ref;
    ScanCarry carry;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 63, text.size() - at);
      std::array<char, kBlockBytes> padded;
      padded.fill(' ');
      std::memcpy(padded.data(), text.data() + at, n);
      const BlockBits want = ref.scan(text.data() + at, n);
      const BlockBits got = scan_partial(padded.data(), n, carry);
      const std::uint64_t valid = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
      expect_equal(want, got, valid, "partial at " + std::to_string(at));
      ASSERT_EQ(carry.escape_next, ref.escape_next ? 1u : 0u) << text.substr(at, n);
      ASSERT_EQ(carry.in_string, ref.in_string ? ~std::uint64_t{0} : 0u) << text.substr(at, n);
      at += n;
    }
  }
}

TEST(BlockScan, AutoPicksASupportedKernel) {
  const ScanKernel k = resolve_scan_kernel(ScanKernel::kAuto);
  EXPECT_NE(k, ScanKernel::kAuto);
  EXPECT_TRUE(scan_kernel_supported(k));
}

}  // namespace
}  // namespace gb::records::detail
