#pragma once
// JSON written the way Python's json.dumps writes it with kombu's defaults:
// ", " and ": " separators, every character outside printable ASCII escaped
// as \uXXXX (ensure_ascii). Celery's messages and results are written so, and
// writing ours the same way makes them byte-for-byte comparable with what a
// Python producer or worker sends.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gb::celery {

// Appends `utf8` as a quoted JSON string. Invalid UTF-8 becomes \ufffd.
void append_python_json_string(std::string& out, std::string_view utf8);
std::string python_json_string(std::string_view utf8);

// "[v1, v2]" from raw JSON values (not checked).
std::string python_json_array(const std::vector<std::string>& raw_values);
// {"k1": v1, "k2": v2} from plain keys and raw JSON values (not checked).
std::string python_json_object(const std::vector<std::pair<std::string, std::string>>& members);

}  // namespace gb::celery
