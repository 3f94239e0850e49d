#include "celery/detail/utf8.hpp"

namespace gb::celery::detail {

char32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  std::size_t length = 0;
  char32_t value = 0;
  char32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    value = lead & 0x1fU;
    min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    value = lead & 0x0fU;
    min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    value = lead & 0x07U;
    min = 0x10000;
  } else {
    ++at;
    return kReplacement;
  }
  if (text.size() - at < length) {
    ++at;
    return kReplacement;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto c = static_cast<unsigned char>(text[at + i]);
    if ((c & 0xc0U) != 0x80) {
      ++at;
      return kReplacement;
    }
    value = (value << 6U) | (c & 0x3fU);
  }
  // Overlong forms and values past U+10FFFF are invalid; encoded surrogates
  // (which Python's str can hold) are passed through.
  if (value < min || value > 0x10ffff) {
    ++at;
    return kReplacement;
  }
  at += length;
  return value;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = 0; at < text.size(); ++count) next_code_point(text, at);
  return count;
}

std::string_view code_point_prefix(std::string_view text, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < count && at < text.size(); ++i) next_code_point(text, at);
  return text.substr(0, at);
}

}  // namespace gb::celery::detail
