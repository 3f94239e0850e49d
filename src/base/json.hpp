#pragma once
// Writing JSON by hand is limited to small documents we build ourselves;
// parsing is simdjson's job.
#include <string>
#include <string_view>

namespace gb {

// Appends value as a quoted JSON string, escaping quotes, backslashes and
// control characters. Bytes >= 0x80 are copied as they are.
void append_json_string(std::string& out, std::string_view value);
std::string json_string(std::string_view value);

}  // namespace gb
