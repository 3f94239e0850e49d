#include "celery/detail/saferepr.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdlib>
#include <vector>

#include "celery/detail/utf8.hpp"

namespace gb::celery::detail {
namespace {

// celery/utils/saferepr.py streams tokens; these are its kinds.
enum class Kind {
  kOpen,       // a literal that opens a container ('[', '{')
  kClose,      // a literal that closes one
  kSeparator,  // ', ' and ': ' (the literals it drops when it cuts)
  kKey,        // a dict key (a str)
  kQuoted,     // a str value
  kText,       // anything else, already in Python's spelling
};

struct Token {
  Kind kind;
  std::string text;
};

constexpr int kMaxLevels = 3;

class Tokenizer {
 public:
  std::vector<Token> tokens;

  void value(simdjson::dom::element element) {
    using simdjson::dom::element_type;
    switch (element.type()) {
      case element_type::ARRAY: {
        if (level_ >= kMaxLevels) return text("[...]");
        open("[");
        bool first = true;
        const simdjson::dom::array array = element.get_array().value_unsafe();
        for (auto child : array) {
          if (!first) tokens.push_back({Kind::kSeparator, ", "});
          first = false;
          value(child);
        }
        close("]");
        return;
      }
      case element_type::OBJECT: {
        if (level_ >= kMaxLevels) return text("{...}");
        open("{");
        bool first = true;
        const simdjson::dom::object object = element.get_object().value_unsafe();
        for (auto field : object) {
          if (!first) tokens.push_back({Kind::kSeparator, ", "});
          first = false;
          tokens.push_back({Kind::kKey, std::string(field.key)});
          tokens.push_back({Kind::kSeparator, ": "});
          value(field.value);
        }
        close("}");
        return;
      }
      case element_type::STRING:
        tokens.push_back({Kind::kQuoted, std::string(element.get_string().value_unsafe())});
        return;
      case element_type::INT64: return text(std::to_string(element.get_int64().value_unsafe()));
      case element_type::UINT64: return text(std::to_string(element.get_uint64().value_unsafe()));
      case element_type::DOUBLE: return text(python_float_repr(element.get_double().value_unsafe()));
      case element_type::BOOL: return text(element.get_bool().value_unsafe() ? "True" : "False");
      case element_type::NULL_VALUE: return text("None");
    }
  }

 private:
  void text(std::string t) { tokens.push_back({Kind::kText, std::move(t)}); }
  void open(const char* t) {
    tokens.push_back({Kind::kOpen, t});
    ++level_;
  }
  void close(const char* t) {
    tokens.push_back({Kind::kClose, t});
    --level_;
  }
  int level_ = 0;
};

// celery.utils.text.truncate: cut at maxlen characters, back to the last
// space, and add "..." (also when the text is exactly maxlen long).
std::string truncate(std::string_view text, std::ptrdiff_t maxlen) {
  if (maxlen <= 0 || code_point_count(text) < static_cast<std::size_t>(maxlen)) return std::string(text);
  std::string_view head = code_point_prefix(text, static_cast<std::size_t>(maxlen));
  if (const auto space = head.rfind(' '); space != std::string_view::npos) head = head.substr(0, space);
  return std::string(head) + "...";
}

std::string format_chars(std::string_view text, std::ptrdiff_t maxlen) {
  std::string out = "'";
  for (const char c : truncate(text, maxlen)) {
    if (c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string python_float_repr(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<std::size_t>(result.ptr - buffer));
  if (sci == "inf") return "inf";
  if (sci == "-inf") return "-inf";
  if (sci.find("nan") != std::string_view::npos) return "nan";
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const auto e = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int point = exponent + 1;  // digits are 0.d1d2... x 10^point
  const auto n = static_cast<int>(digits.size());
  if (point <= -4 || point > 16) {
    out += digits[0];
    if (n > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
  } else if (point <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (point < n) {
    out += digits.substr(0, static_cast<std::size_t>(point)) + "." + digits.substr(static_cast<std::size_t>(point));
  } else {
    out += digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
  }
  return out;
}

Result<std::string> saferepr_json(std::string_view json, std::size_t maxlen) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return invalid_input(std::string("not valid JSON: ") + simdjson::error_message(error));
  }
  Tokenizer tokenizer;
  tokenizer.value(root);

  // The consumer loop of _saferepr: each token costs its length; once the
  // budget is spent, the next token is dropped, ", ..." written and then the
  // closing brackets of the containers still open.
  std::string out;
  auto budget = static_cast<std::ptrdiff_t>(maxlen);
  std::vector<std::string> closers;
  for (const Token& token : tokenizer.tokens) {
    if (token.kind == Kind::kOpen) closers.push_back(token.text == "[" ? "]" : "}");
    if (budget <= 0) {
      if (token.kind == Kind::kClose) closers.pop_back();
      out += ", ...";
      for (auto it = closers.rbegin(); it != closers.rend(); ++it) out += *it;
      return out;
    }
    if (token.kind == Kind::kClose) closers.pop_back();
    std::string val;
    switch (token.kind) {
      case Kind::kOpen:
      case Kind::kClose:
      case Kind::kSeparator: val = token.text; break;
      case Kind::kKey:
      case Kind::kQuoted: val = format_chars(token.text, budget); break;
      case Kind::kText: val = truncate(token.text, budget); break;
    }
    budget -= static_cast<std::ptrdiff_t>(code_point_count(val));
    out += val;
  }
  return out;
}

}  // namespace gb::celery::detail
