#pragma once
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::api::detail {

// The top-level "cursor" string of an analytics results page: empty when it
// is absent or null. The records beside it are not checked: one of them may
// hold invalid UTF-8 (records/ quarantines it later), and simdjson 3.0.1's
// on-demand parser validates the UTF-8 of the whole document with no way to
// skip that. So when the body is not valid UTF-8 the cursor is located in a
// copy whose non-ASCII bytes are masked to 'x' (same length, so offsets
// match) and then read, unescaped and validated, from the original bytes.
// Errors: kTransient when the page is not JSON (most likely cut short),
// kPermanent when the cursor is not a valid string. Pure; thread-safe.
Result<std::string> find_page_cursor(std::string& body, std::string_view what, std::size_t max_cursor_bytes);

}  // namespace gb::api::detail
