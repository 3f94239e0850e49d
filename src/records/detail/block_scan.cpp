#include "records/detail/block_scan.hpp"

#include <array>
#include <stdexcept>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gb::records::detail {
namespace {

// Per-byte character classes of one block, before strings are known.
struct RawMasks {
  std::uint64_t quote = 0;
  std::uint64_t backslash = 0;
  std::uint64_t open = 0;
  std::uint64_t close = 0;
  std::uint64_t comma = 0;
  std::uint64_t whitespace = 0;
};

constexpr std::uint64_t kEvenBits = 0x5555555555555555ULL;

// Bits of bytes escaped by a backslash: those right after an odd-length run of
// backslashes. Adding a run's start bit to the run carries through it and lands
// on the byte after it (its end); the run is odd when its start and end have
// different parity. A run that continues from the previous block with an odd
// length so far behaves like one starting on an odd bit, so bit 0 is
// re-classified through carry.escape_next. Sets carry.escape_next from the
// run, if any, that reaches bit 63 (valid for whole blocks; scan_partial
// reads bit n instead).
inline std::uint64_t escaped_bits(std::uint64_t backslash, ScanCarry& carry) {
  const std::uint64_t starts = backslash & ~(backslash << 1);
  const std::uint64_t even_class = kEvenBits & ~carry.escape_next;
  const std::uint64_t even_starts = starts & even_class;
  const std::uint64_t odd_starts = starts & ~even_class;
  const std::uint64_t even_ends = (backslash + even_starts) & ~backslash;
  std::uint64_t odd_sum = 0;
  const bool odd_run_reaches_end = __builtin_add_overflow(backslash, odd_starts, &odd_sum);
  const std::uint64_t odd_ends = odd_sum & ~backslash;
  // An odd run left open by the previous block escapes bit 0 unless bit 0
  // extends the run (then the run's parity is handled by even_class).
  const std::uint64_t escaped = (even_ends & ~kEvenBits) | (odd_ends & kEvenBits) | (carry.escape_next & ~backslash);
  carry.escape_next = odd_run_reaches_end ? 1 : 0;
  return escaped;
}

// Bit i = XOR of bits 0..i: 1 from an opening quote up to (not including) its
// closing quote.
inline std::uint64_t prefix_xor_portable(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The string-aware masks of a block, given its escaped bytes; returns the
// per-byte in-string mask (1 from an opening quote up to its closing quote)
// through `in_string` so callers derive the carry.
template <std::uint64_t (*PrefixXor)(std::uint64_t)>
inline BlockBits mask_strings(const RawMasks& raw, std::uint64_t escaped, std::uint64_t in_string_before,
                              std::uint64_t& in_string) {
  const std::uint64_t quote = raw.quote & ~escaped;
  in_string = PrefixXor(quote) ^ in_string_before;
  // An escaped byte is never structure, in a string or (invalid JSON) out of one.
  const std::uint64_t plain = ~(in_string | escaped);
  BlockBits bits;
  bits.open = raw.open & plain;
  bits.close = raw.close & plain;
  bits.comma = raw.comma & plain;
  bits.quote = quote;
  bits.non_ws = ~raw.whitespace;
  return bits;
}

template <std::uint64_t (*PrefixXor)(std::uint64_t)>
inline BlockBits finish_block(const RawMasks& raw, ScanCarry& carry) {
  const std::uint64_t escaped = escaped_bits(raw.backslash, carry);
  std::uint64_t in_string = 0;
  const BlockBits bits = mask_strings<PrefixXor>(raw, escaped, carry.in_string, in_string);
  carry.in_string = static_cast<std::uint64_t>(static_cast<std::int64_t>(in_string) >> 63);
  return bits;
}

// Character classes for the scalar kernel, one bit each, by table so the
// per-byte work has no branches.
enum : std::uint8_t { kQuote = 1, kBackslash = 2, kOpen = 4, kClose = 8, kComma = 16, kSpace = 32 };

constexpr std::array<std::uint8_t, 256> make_class_table() {
  std::array<std::uint8_t, 256> t{};
  t['"'] = kQuote;
  t['\\'] = kBackslash;
  t['['] = t['{'] = kOpen;
  t[']'] = t['}'] = kClose;
  t[','] = kComma;
  t[' '] = t['\t'] = t['\n'] = t['\r'] = kSpace;
  return t;
}
constexpr std::array<std::uint8_t, 256> kClassTable = make_class_table();

// Bit 0 of each of the 8 bytes of x (the other bits zero) -> 8 bits. The
// multiplier puts byte i's bit at bit 56 + i; no two partial products share
// a bit position in 56..63, so nothing carries into the result.
inline std::uint64_t gather_bytes(std::uint64_t x) {
  return (x * 0x0102040810204080ULL) >> 56;
}

RawMasks classify_scalar(const char* data) {
  constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;
  RawMasks m;
  for (unsigned word = 0; word < kBlockBytes / 8; ++word) {
    std::uint64_t classes = 0;  // the class byte of each of 8 input bytes
    for (unsigned j = 0; j < 8; ++j) {
      classes |= std::uint64_t{kClassTable[static_cast<unsigned char>(data[word * 8 + j])]} << (8 * j);
    }
    const unsigned at = word * 8;
    m.quote |= gather_bytes(classes & kLowBits) << at;
    m.backslash |= gather_bytes((classes >> 1) & kLowBits) << at;
    m.open |= gather_bytes((classes >> 2) & kLowBits) << at;
    m.close |= gather_bytes((classes >> 3) & kLowBits) << at;
    m.comma |= gather_bytes((classes >> 4) & kLowBits) << at;
    m.whitespace |= gather_bytes((classes >> 5) & kLowBits) << at;
  }
  return m;
}

void scan_scalar(const char* data, std::size_t blocks, ScanCarry& carry, BlockBits* out) {
  for (std::size_t b = 0; b < blocks; ++b) {
    out[b] = finish_block<prefix_xor_portable>(classify_scalar(data + b * kBlockBytes), carry);
  }
}

#if defined(__x86_64__)
// SSE2 is part of x86-64 itself: every x86-64 CPU runs this kernel.
inline std::uint64_t movemask64(__m128i a, __m128i b, __m128i c, __m128i d) {
  return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(a))) |
         static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(b))) << 16 |
         static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(c))) << 32 |
         static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(d))) << 48;
}

RawMasks classify_sse2(const char* data) {
  __m128i v[4];
  for (std::size_t i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i));
  auto mask = [&v](auto&& test) { return movemask64(test(v[0]), test(v[1]), test(v[2]), test(v[3])); };
  auto eq = [](__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
  const __m128i case_bit = _mm_set1_epi8(0x20);  // '[' | 0x20 == '{', ']' | 0x20 == '}'
  RawMasks m;
  m.quote = mask([&](__m128i x) { return eq(x, '"'); });
  m.backslash = mask([&](__m128i x) { return eq(x, '\\'); });
  m.open = mask([&](__m128i x) { return eq(_mm_or_si128(x, case_bit), '{'); });
  m.close = mask([&](__m128i x) { return eq(_mm_or_si128(x, case_bit), '}'); });
  m.comma = mask([&](__m128i x) { return eq(x, ','); });
  m.whitespace = mask([&](__m128i x) {
    return _mm_or_si128(_mm_or_si128(eq(x, ' '), eq(x, '\t')), _mm_or_si128(eq(x, '\n'), eq(x, '\r')));
  });
  return m;
}

void scan_sse2(const char* data, std::size_t blocks, ScanCarry& carry, BlockBits* out) {
  for (std::size_t b = 0; b < blocks; ++b) {
    out[b] = finish_block<prefix_xor_portable>(classify_sse2(data + b * kBlockBytes), carry);
  }
}

#define GB_AVX2_TARGET __attribute__((target("avx2,pclmul")))

GB_AVX2_TARGET inline std::uint64_t prefix_xor_clmul(std::uint64_t x) {
  // Carry-less multiplication by all ones is exactly the prefix XOR.
  const __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<long long>(x)), _mm_set1_epi8(-1), 0);
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(product));
}

GB_AVX2_TARGET inline std::uint64_t movemask64(__m256i lo, __m256i hi) {
  const auto l = static_cast<std::uint32_t>(_mm256_movemask_epi8(lo));
  const auto h = static_cast<std::uint32_t>(_mm256_movemask_epi8(hi));
  return l | (std::uint64_t{h} << 32);
}

GB_AVX2_TARGET inline __m256i eq(__m256i v, char c) {
  return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c));
}

// Whitespace by table lookup on the low nibble: the table holds the one
// whitespace byte with that nibble (0x20, 0x09, 0x0A, 0x0D), 0 elsewhere; a
// byte is whitespace when the lookup gives the byte back. Bytes >= 0x80 look
// up 0 and never match.
GB_AVX2_TARGET inline __m256i whitespace(__m256i v) {
  const __m256i table = _mm256_setr_epi8(0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0A, 0, 0, 0x0D, 0, 0,  //
                                         0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0A, 0, 0, 0x0D, 0, 0);
  return _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, v), v);
}

GB_AVX2_TARGET inline RawMasks classify_avx2(const char* data) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 32));
  // '[' 0x5B and '{' 0x7B differ only in bit 0x20, as do ']' and '}'.
  const __m256i case_bit = _mm256_set1_epi8(0x20);
  const __m256i lo_folded = _mm256_or_si256(lo, case_bit);
  const __m256i hi_folded = _mm256_or_si256(hi, case_bit);
  RawMasks m;
  m.quote = movemask64(eq(lo, '"'), eq(hi, '"'));
  m.backslash = movemask64(eq(lo, '\\'), eq(hi, '\\'));
  m.open = movemask64(eq(lo_folded, '{'), eq(hi_folded, '{'));
  m.close = movemask64(eq(lo_folded, '}'), eq(hi_folded, '}'));
  m.comma = movemask64(eq(lo, ','), eq(hi, ','));
  m.whitespace = movemask64(whitespace(lo), whitespace(hi));
  return m;
}

GB_AVX2_TARGET void scan_avx2(const char* data, std::size_t blocks, ScanCarry& carry, BlockBits* out) {
  for (std::size_t b = 0; b < blocks; ++b) {
    out[b] = finish_block<prefix_xor_clmul>(classify_avx2(data + b * kBlockBytes), carry);
  }
}
#endif

}  // namespace

void scan_blocks(ScanKernel kernel, const char* data, std::size_t blocks, ScanCarry& carry, BlockBits* out) {
#if defined(__x86_64__)
  if (kernel == ScanKernel::kAvx2) {
    scan_avx2(data, blocks, carry, out);
    return;
  }
  if (kernel == ScanKernel::kSse2) {
    scan_sse2(data, blocks, carry, out);
    return;
  }
#endif
  scan_scalar(data, blocks, carry, out);
}

BlockBits scan_partial(const char* block, std::size_t n, ScanCarry& carry) {
  // The padding is spaces: no quote, backslash or structure, so the masks of
  // bytes n..63 are empty, and byte n reads as "the byte after the slice".
  const RawMasks raw = classify_scalar(block);
  const std::uint64_t escaped = escaped_bits(raw.backslash, carry);
  // Whole-block carries describe byte 63; a partial block's must describe
  // byte n-1: byte n is escaped exactly when the slice ends in an odd run.
  carry.escape_next = (escaped >> n) & 1;
  std::uint64_t in_string = 0;
  const BlockBits bits = mask_strings<prefix_xor_portable>(raw, escaped, carry.in_string, in_string);
  carry.in_string = std::uint64_t{0} - ((in_string >> (n - 1)) & 1);
  return bits;
}

}  // namespace gb::records::detail

namespace gb::records {

bool scan_kernel_supported(ScanKernel kernel) {
#if defined(__x86_64__)
  constexpr bool kX86 = true;
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
#else
  constexpr bool kX86 = false;
  const bool avx2 = false;
#endif
  switch (kernel) {
    case ScanKernel::kAuto:
    case ScanKernel::kScalar: return true;
    case ScanKernel::kSse2: return kX86;
    case ScanKernel::kAvx2: return avx2;
  }
  return false;
}

ScanKernel resolve_scan_kernel(ScanKernel kernel) {
  if (kernel == ScanKernel::kAuto) {
    if (scan_kernel_supported(ScanKernel::kAvx2)) return ScanKernel::kAvx2;
    if (scan_kernel_supported(ScanKernel::kSse2)) return ScanKernel::kSse2;
    return ScanKernel::kScalar;
  }
  if (!scan_kernel_supported(kernel)) {
    throw std::invalid_argument(std::string("scan kernel not supported on this CPU: ") + to_string(kernel));
  }
  return kernel;
}

const char* to_string(ScanKernel kernel) {
  switch (kernel) {
    case ScanKernel::kAuto: return "auto";
    case ScanKernel::kScalar: return "scalar";
    case ScanKernel::kSse2: return "sse2";
    case ScanKernel::kAvx2: return "avx2";
  }
  return "unknown";
}

}  // namespace gb::records
