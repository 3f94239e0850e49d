#pragma once
// What PostgreSQL's jsonb input refuses, found before a record is sent, so
// that one bad record goes to the quarantine instead of failing its chunk's
// COPY. The checks mirror PostgreSQL 15's json lexer and jsonb conversion:
// RFC 8259 grammar (no control characters inside strings, no leading zeros,
// nothing after the value), valid UTF-8 (no overlongs, no surrogates, nothing
// past U+10FFFF, no NUL byte), no \u0000 escape (jsonb stores text, which
// cannot hold NUL), surrogate escapes only as pairs, and numbers within
// numeric's range. Pure functions; thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace gb::sinks::detail::pg {

// Why jsonb would refuse `json`, or nullopt when it takes it.
std::optional<std::string> jsonb_refusal(std::string_view json);

// Whether a text column takes `text`: valid UTF-8 without NUL bytes.
bool valid_pg_text(std::string_view text);

}  // namespace gb::sinks::detail::pg
