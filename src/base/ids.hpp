#pragma once
#include <string_view>

namespace gb {

// Ids that come from the network or the user (job ids, chunk ids) go into
// URLs, file names and SQL: accept 1-128 characters of [A-Za-z0-9._-] only,
// and never "." or "..".
bool is_valid_id(std::string_view id);

}  // namespace gb
