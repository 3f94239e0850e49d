#pragma once
// Random JSON for the records tests: valid documents with nasty strings
// (escaped quotes, backslash runs, Unicode), and a byte-at-a-time reference
// splitter to check the block splitter against.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gb::records::testing {

class JsonGen {
 public:
  explicit JsonGen(std::uint64_t seed) : rng_(seed) {}

  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  std::mt19937_64& rng() { return rng_; }

  std::string ws() {
    static const char* kWs[] = {"", "", "", " ", "\n", "\t", "\r\n  ", "   "};
    return kWs[pick(8)];
  }

  // A JSON string literal, quotes included.
  std::string string_literal() {
    std::string s = "\"";
    const int len = pick(12);
    for (int i = 0; i < len; ++i) {
      switch (pick(12)) {
        case 0: s += "\\\""; break;                                // escaped quote
        case 1: s += std::string(2 * (1 + pick(4)), '\\'); break;  // even backslash run (escaped backslashes)
        case 2: s += "\\\\\\\""; break;                            // \\ then \"
        case 3: s += "\\u0000"; break;
        case 4: s += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; break;  // e-acute, euro, emoji
        case 5: s += "[{,}]:"; break;                                // structure inside a string
        case 6: s += "\\n\\t\\/"; break;
        default: s += static_cast<char>('a' + pick(26)); break;
      }
    }
    return s + "\"";
  }

  std::string value(int depth) {
    const int kind = depth > 5 ? pick(4) : pick(7);
    switch (kind) {
      case 0: return string_literal();
      case 1: return std::to_string(static_cast<int>(rng_() % 100000) - 500);
      case 2: return pick(2) ? "true" : "null";
      case 3: return "-1.5e3";
      case 4:
      case 5: return object(depth + 1, false);
      default: {
        std::string s = "[" + ws();
        const int n = pick(4);
        for (int i = 0; i < n; ++i) {
          if (i) s += ws() + "," + ws();
          s += value(depth + 1);
        }
        return s + ws() + "]";
      }
    }
  }

  // An object; with_key adds "id", "userId" and "conversationId" string keys.
  std::string object(int depth, bool with_key) {
    std::string s = "{" + ws();
    const int n = pick(5) + (with_key ? 1 : 0);
    for (int i = 0; i < n; ++i) {
      if (i) s += ws() + "," + ws();
      if (with_key && i == 0) {
        const std::string id = "\"k" + std::to_string(counter_++) + "\"";
        s += "\"id\":" + id + ",\"userId\":" + id + ",\"conversationId\":" + id;
      } else {
        s += string_literal() + ws() + ":" + ws() + value(depth);
      }
    }
    return s + ws() + "}";
  }

  // A bare array of n elements (records or any value); `elements` gets each
  // element's exact bytes.
  std::string array(int n, bool records, std::vector<std::string>* elements = nullptr) {
    std::string s = ws() + "[" + ws();
    for (int i = 0; i < n; ++i) {
      if (i) s += ws() + "," + ws();
      std::string e = records ? object(1, true) : value(1);
      if (elements) elements->push_back(e);
      s += e;
    }
    return s + ws() + "]" + ws();
  }

 private:
  std::mt19937_64 rng_;
  int counter_ = 0;
};

inline bool ref_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Byte-at-a-time reference: elements of a bare array, or nullopt when the
// body is not a complete array (same rules as ArraySplitter).
inline std::optional<std::vector<std::string>> reference_split(std::string_view body) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < body.size() && ref_ws(body[i])) ++i;
  if (i == body.size() || body[i] != '[') return std::nullopt;
  enum { kFirst, kNext, kIn, kAfter } st = kFirst;
  std::size_t start = 0;
  int depth = 1;
  bool in_string = false, escape = false;
  auto push = [&](std::size_t end) {
    while (end > start && ref_ws(body[end - 1])) --end;
    out.emplace_back(body.substr(start, end - start));
  };
  for (++i; i < body.size(); ++i) {
    const char c = body[i];
    if (st == kAfter) {
      if (!ref_ws(c)) return std::nullopt;
      continue;
    }
    if (st == kFirst || st == kNext) {
      if (ref_ws(c)) continue;
      if (c == ']' && st == kFirst) {
        st = kAfter;
        continue;
      }
      if (c == ']' || c == ',') return std::nullopt;
      st = kIn;
      start = i;
    }
    if (escape) {
      escape = false;
      continue;
    }
    if (c == '\\') {
      escape = true;
      continue;
    }
    if (in_string) {
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 1) {
        if (c != ']') return std::nullopt;
        push(i);
        st = kAfter;
      } else {
        --depth;
      }
    } else if (c == ',' && depth == 1) {
      push(i);
      st = kNext;
    }
  }
  if (st != kAfter) return std::nullopt;
  return out;
}

}  // namespace gb::records::testing
