#pragma once
#include <string_view>

namespace gb {

// Ids that come from the network or the user (job ids, chunk ids) go into
// URLs, file names and SQL: accept 1-128 characters of [A-Za-z0-9._-] only,
// and never "." or "..".
bool is_valid_id(std::string_view id);

// Celery task ids (and root, parent and group ids) are chosen by producers:
// UUIDs from Python, anything from others. They become Redis keys, store
// keys and log fields, never paths: accept 1-255 bytes of visible ASCII
// (0x21-0x7e; no spaces, no control characters), which holds every id
// is_valid_id accepts.
bool is_valid_task_id(std::string_view id);

}  // namespace gb
