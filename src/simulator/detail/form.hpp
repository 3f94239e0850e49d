#pragma once
// application/x-www-form-urlencoded bodies (the OAuth token request).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace gb::simulator::detail {

using Form = std::vector<std::pair<std::string, std::string>>;

// Decodes name=value pairs ('+' and %XX); at most 64 pairs, 8 KB in all.
Result<Form> parse_form(std::string_view body);
// The first value of `name`, if present.
std::optional<std::string> form_value(const Form& form, std::string_view name);

}  // namespace gb::simulator::detail
