#include "celery/python_json.hpp"

#include "celery/detail/utf8.hpp"

namespace gb::celery {
namespace {

void append_u_escape(std::string& out, char32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> static_cast<unsigned>(shift)) & 0xfU];
}

}  // namespace

void append_python_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  for (std::size_t at = 0; at < utf8.size();) {
    const char32_t c = detail::next_code_point(utf8, at);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else if (c >= 0x10000) {  // a surrogate pair, as Python writes it
          const char32_t v = c - 0x10000;
          append_u_escape(out, 0xd800 + (v >> 10U));
          append_u_escape(out, 0xdc00 + (v & 0x3ffU));
        } else {
          append_u_escape(out, c);
        }
    }
  }
  out += '"';
}

std::string python_json_string(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() + 2);
  append_python_json_string(out, utf8);
  return out;
}

std::string python_json_array(const std::vector<std::string>& raw_values) {
  std::string out = "[";
  for (std::size_t i = 0; i < raw_values.size(); ++i) {
    if (i != 0) out += ", ";
    out += raw_values[i];
  }
  out += ']';
  return out;
}

std::string python_json_object(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out = "{";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i != 0) out += ", ";
    append_python_json_string(out, members[i].first);
    out += ": ";
    out += members[i].second;
  }
  out += '}';
  return out;
}

}  // namespace gb::celery
