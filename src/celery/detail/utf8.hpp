#pragma once
// Minimal UTF-8 decoding for writing text as Python sees it (code points).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gb::celery::detail {

inline constexpr char32_t kReplacement = 0xfffd;

// Decodes the code point at text[at] and advances `at` past it; an invalid
// or truncated sequence yields U+FFFD and advances one byte.
char32_t next_code_point(std::string_view text, std::size_t& at);

// How many code points `text` holds (Python's len() of the str).
std::size_t code_point_count(std::string_view text);

// The bytes of the first `count` code points.
std::string_view code_point_prefix(std::string_view text, std::size_t count);

}  // namespace gb::celery::detail
