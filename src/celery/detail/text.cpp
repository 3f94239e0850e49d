#include "celery/detail/text.hpp"

namespace gb::celery::detail {

std::string quote_for_error(std::string_view text, std::size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  std::size_t i = 0;
  for (; i < text.size() && out.size() <= max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (i < text.size()) out += "...";
  out += '\'';
  return out;
}

bool is_visible_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace gb::celery::detail
