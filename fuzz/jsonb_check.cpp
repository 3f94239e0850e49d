// Fuzzes sinks::detail::pg::jsonb_refusal, the check every record goes
// through before a PostgreSQL export COPYs it into a jsonb column (its
// string scan reads 16 bytes at a time).
//
// Input: the bytes of one record.
// Checks, against simdjson's parser as an independent judge of JSON:
// - what the check takes is JSON to simdjson too, unless simdjson refuses it
//   only for a number outside a double's range (numeric holds those);
// - what simdjson takes, the check takes too, unless jsonb itself would
//   refuse it: a \u0000 escape, a lone surrogate escape, a number outside
//   numeric's range, or nesting deeper than PostgreSQL's stack allows.
#include "sinks/postgres/detail/jsonb_check.hpp"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The refusals jsonb makes of JSON that RFC 8259 allows.
bool jsonb_only_refusal(const std::string& why) {
  return starts_with(why, "\\u0000 escape") || starts_with(why, "lone ") ||
         starts_with(why, "number out of numeric's range") || starts_with(why, "nested too deeply");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto refusal = gb::sinks::detail::pg::jsonb_refusal(json);

  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  const auto error = parser.parse(padded).error();

  if (!refusal && error != simdjson::SUCCESS && error != simdjson::NUMBER_ERROR) std::abort();
  if (refusal && error == simdjson::SUCCESS && !jsonb_only_refusal(*refusal)) std::abort();
  return 0;
}
