#include "sinks/postgres/detail/jsonb_check.hpp"

#include <simdjson.h>

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gb::sinks::detail::pg {
namespace {

// numeric's limits (PostgreSQL 15, numeric.c): at most 131072 digits before
// the decimal point (NUMERIC_WEIGHT_MAX base-10000 digits) and 16383 after
// it (NUMERIC_DSCALE_MAX).
constexpr std::int64_t kMaxIntegerDigits = 131072;
constexpr std::int64_t kMaxScale = 16383;
// PostgreSQL's parser recurses per nesting level and stops at its stack
// depth limit (2 MB by default); far deeper than any API record.
constexpr int kMaxDepth = 1000;

// Whether `s` is UTF-8 text PostgreSQL takes: simdjson's validator applies
// the same rules as pg_utf8_islegal (no overlongs, no surrogates, nothing
// past U+10FFFF), at several GB/s; text cannot hold a NUL byte either.
bool valid_utf8_without_nul(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size()) && std::memchr(s.data(), 0, s.size()) == nullptr;
}

// The first byte at or after `i` that ends a run of plain string content: a
// quote, a backslash or a control character (< 0x20). Bytes >= 0x80 are
// plain here because the whole input was validated as UTF-8 first. Records
// are mostly string content, so this is where the check spends its time.
std::size_t skip_plain_string_bytes(std::string_view s, std::size_t i) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), max_control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // v <= 0x1F, unsigned: min(v, 0x1F) == v.
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v);
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
    if (const int mask = _mm_movemask_epi8(special); mask != 0)
      return i + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20) break;
    ++i;
  }
  return i;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Checker {
 public:
  explicit Checker(std::string_view s) : s_(s) {}

  std::optional<std::string> run() {
    if (!simdjson::validate_utf8(s_.data(), s_.size())) return fail("invalid UTF-8");
    skip_space();
    if (auto r = value(0)) return r;
    skip_space();
    if (i_ != s_.size()) return fail("content after the JSON value");
    return std::nullopt;
  }

 private:
  std::optional<std::string> fail(const char* why) { return std::string(why); }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  std::optional<std::string> value(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    if (i_ >= s_.size()) return fail("truncated JSON");
    const char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return string();
    if (c == '-' || is_digit(c)) return number();
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(i_, word.size()) == word) {
        i_ += word.size();
        return std::nullopt;
      }
    }
    return fail("invalid JSON token");
  }

  std::optional<std::string> object(int depth) {
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return std::nullopt;
    }
    for (;;) {
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '"') return fail("expected an object key");
      if (auto r = string()) return r;
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') return fail("expected ':'");
      ++i_;
      skip_space();
      if (auto r = value(depth + 1)) return r;
      skip_space();
      if (i_ >= s_.size()) return fail("truncated JSON");
      if (s_[i_] == '}') {
        ++i_;
        return std::nullopt;
      }
      if (s_[i_] != ',') return fail("expected ',' or '}'");
      ++i_;
    }
  }

  std::optional<std::string> array(int depth) {
    ++i_;
    skip_space();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return std::nullopt;
    }
    for (;;) {
      skip_space();
      if (auto r = value(depth + 1)) return r;
      skip_space();
      if (i_ >= s_.size()) return fail("truncated JSON");
      if (s_[i_] == ']') {
        ++i_;
        return std::nullopt;
      }
      if (s_[i_] != ',') return fail("expected ',' or ']'");
      ++i_;
    }
  }

  // A \uXXXX escape at i_ (after the backslash and 'u'); its code unit.
  std::optional<int> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex_value(s_[i_ + static_cast<std::size_t>(k)]);
      if (h < 0) return std::nullopt;
      v = v * 16 + h;
    }
    i_ += 4;
    return v;
  }

  std::optional<std::string> string() {
    ++i_;  // the opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return std::nullopt;
      }
      if (c == '\\') {
        if (++i_ >= s_.size()) break;
        const char e = s_[i_++];
        if (e == 'u') {
          auto unit = hex4();
          if (!unit) return fail("invalid \\u escape");
          if (*unit == 0) return fail("\\u0000 escape (jsonb cannot hold NUL)");
          if (*unit >= 0xDC00 && *unit <= 0xDFFF) return fail("lone low surrogate escape");
          if (*unit >= 0xD800 && *unit <= 0xDBFF) {
            if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return fail("lone high surrogate escape");
            i_ += 2;
            auto low = hex4();
            if (!low) return fail("invalid \\u escape");
            if (*low < 0xDC00 || *low > 0xDFFF) return fail("lone high surrogate escape");
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          return fail("invalid escape in a string");
        }
        continue;
      }
      if (c < 0x20) return fail(c == 0 ? "NUL byte in a string" : "unescaped control character in a string");
      i_ = skip_plain_string_bytes(s_, i_);
    }
    return fail("unterminated string");
  }

  std::optional<std::string> number() {
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number");
    std::int64_t integer_digits = 0, fraction_digits = 0;
    bool leading = true;  // zeros before the first significant digit do not count
    if (s_[i_] == '0') {
      ++i_;
      if (i_ < s_.size() && is_digit(s_[i_])) return fail("invalid number (leading zero)");
    } else {
      while (i_ < s_.size() && is_digit(s_[i_])) {
        ++integer_digits;
        ++i_;
      }
      leading = false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number");
      while (i_ < s_.size() && is_digit(s_[i_])) {
        ++fraction_digits;
        ++i_;
      }
    }
    std::int64_t exponent = 0;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      bool negative = false;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) negative = s_[i_++] == '-';
      if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number");
      while (i_ < s_.size() && is_digit(s_[i_])) {
        if (exponent < 1'000'000'000) exponent = exponent * 10 + (s_[i_] - '0');
        ++i_;
      }
      if (negative) exponent = -exponent;
    }
    // Conservative: a value PostgreSQL might take (a huge exponent on zero,
    // trailing zeros it drops) is refused only when its digits alone exceed
    // the limits after the exponent shifts them.
    if (!leading && integer_digits + exponent > kMaxIntegerDigits) return fail("number out of numeric's range");
    if (fraction_digits - exponent > kMaxScale) return fail("number out of numeric's range");
    if (exponent > 1'000'000'000 - 1 || exponent < -(1'000'000'000 - 1)) return fail("number out of numeric's range");
    return std::nullopt;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<std::string> jsonb_refusal(std::string_view json) {
  return Checker(json).run();
}

bool valid_pg_text(std::string_view text) {
  return valid_utf8_without_nul(text);
}

}  // namespace gb::sinks::detail::pg
