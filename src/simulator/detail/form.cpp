#include "simulator/detail/form.hpp"

#include <microhttpd.h>

#include <algorithm>

namespace gb::simulator::detail {
namespace {

std::string decode(std::string_view text) {
  std::string s(text);
  std::replace(s.begin(), s.end(), '+', ' ');
  s.resize(MHD_http_unescape(s.data()));
  return s;
}

}  // namespace

Result<Form> parse_form(std::string_view body) {
  if (body.size() > 8192) return invalid_input("the form body is too large");
  Form form;
  std::size_t i = 0;
  while (i < body.size()) {
    auto amp = body.find('&', i);
    if (amp == std::string_view::npos) amp = body.size();
    const auto pair = body.substr(i, amp - i);
    i = amp + 1;
    if (pair.empty()) continue;
    if (form.size() >= 64) return invalid_input("the form has too many fields");
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      form.emplace_back(decode(pair), std::string());
    } else {
      form.emplace_back(decode(pair.substr(0, eq)), decode(pair.substr(eq + 1)));
    }
  }
  return form;
}

std::optional<std::string> form_value(const Form& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return std::nullopt;
}

}  // namespace gb::simulator::detail
