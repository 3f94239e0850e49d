#pragma once
// Untrusted text in error messages: one line, bounded, printable.
#include <cstddef>
#include <string>
#include <string_view>

namespace gb::celery::detail {

// 'text' in single quotes, bytes outside printable ASCII (and backslashes)
// as \xNN, cut after about `max` characters with "..." so that an error
// stays one short line.
std::string quote_for_error(std::string_view text, std::size_t max = 64);

// True when every byte is visible ASCII (0x21-0x7e): what task names and
// queue names must be before they reach logs, keys and the store.
bool is_visible_ascii(std::string_view text);

}  // namespace gb::celery::detail
