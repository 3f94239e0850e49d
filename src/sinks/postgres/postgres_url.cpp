// redacted_postgres_url: passwords out of anything we print.
#include <string>
#include <string_view>

#include "sinks/postgres/postgres_sink.hpp"

namespace gb::sinks {
namespace {

constexpr std::string_view kMask = "***";

// Replaces the value of every `password=` (a URI query parameter, ending at
// '&' or '#', or a key=value word, ending at a space; a quoted word ends at
// its closing quote).
std::string mask_password_words(std::string text) {
  std::size_t from = 0;
  for (;;) {
    const std::size_t at = text.find("password", from);
    if (at == std::string::npos) return text;
    std::size_t i = at + 8;
    while (i < text.size() && text[i] == ' ') ++i;
    const bool starts_word = at == 0 || text[at - 1] == '?' || text[at - 1] == '&' || text[at - 1] == ' ';
    if (!starts_word || i >= text.size() || text[i] != '=') {
      from = at + 8;
      continue;
    }
    ++i;
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t end = i;
    if (end < text.size() && text[end] == '\'') {
      ++end;
      while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, text.size());
    } else {
      while (end < text.size() && text[end] != '&' && text[end] != '#' && text[end] != ' ') ++end;
    }
    text.replace(i, end - i, kMask);
    from = i + kMask.size();
  }
}

}  // namespace

std::string redacted_postgres_url(std::string_view url) {
  std::string out(url);
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (out.compare(0, scheme.size(), scheme) != 0) continue;
    // userinfo ends at the last '@' before the path, query or fragment.
    const std::size_t authority_end = out.find_first_of("/?#", scheme.size());
    const std::size_t limit = authority_end == std::string::npos ? out.size() : authority_end;
    const std::size_t at = out.rfind('@', limit);
    if (at != std::string::npos && at >= scheme.size()) {
      const std::size_t colon = out.find(':', scheme.size());
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, kMask);
    }
    break;
  }
  return mask_password_words(std::move(out));
}

}  // namespace gb::sinks
