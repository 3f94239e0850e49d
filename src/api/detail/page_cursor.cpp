#include "api/detail/page_cursor.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "api/detail/json_fields.hpp"

namespace gb::api::detail {
namespace {

namespace od = simdjson::ondemand;
using simdjson::SUCCESS;

Error not_json(std::string_view what) {
  return transient_error(fmt::format("{}: the response is not valid JSON", what));
}

// Where the cursor's value token sits in `json` (offset, length), or nullopt
// when the page has none (or null). `json` has the same length as the body.
Result<std::optional<std::pair<std::size_t, std::size_t>>> locate(simdjson::padded_string_view json,
                                                                  std::string_view what) {
  od::parser parser;
  od::document doc;
  od::object object;
  if (parser.iterate(json).get(doc) != SUCCESS || doc.get_object().get(object) != SUCCESS) return not_json(what);
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != SUCCESS) return not_json(what);
    if (key != "cursor") continue;
    od::value value;
    if (field.value().get(value) != SUCCESS) return not_json(what);
    bool is_null = false;
    if (value.is_null().get(is_null) == SUCCESS && is_null) return std::optional<std::pair<std::size_t, std::size_t>>();
    std::string_view token = value.raw_json_token();
    // The token runs to the next one: drop the whitespace after it.
    while (!token.empty() &&
           (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' || token.back() == '\t')) {
      token.remove_suffix(1);
    }
    return std::optional(std::pair(static_cast<std::size_t>(token.data() - json.data()), token.size()));
  }
  return std::optional<std::pair<std::size_t, std::size_t>>();
}

}  // namespace

Result<std::string> find_page_cursor(std::string& body, std::string_view what, std::size_t max_cursor_bytes) {
  Result<std::optional<std::pair<std::size_t, std::size_t>>> where =
      std::optional<std::pair<std::size_t, std::size_t>>();
  if (simdjson::validate_utf8(body.data(), body.size())) {
    where = locate(padded(body), what);
  } else {
    std::string masked;
    masked.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    masked.resize(body.size());
    std::transform(body.begin(), body.end(), masked.begin(),
                   [](char c) { return static_cast<unsigned char>(c) >= 0x80 ? 'x' : c; });
    where = locate(padded(masked), what);
  }
  if (!where.ok()) return std::move(where).error();
  if (!where->has_value()) return std::string();
  const auto [offset, length] = **where;
  if (length > max_cursor_bytes + 2) return permanent_error(fmt::format("{}: the cursor is too long", what));

  // Read the token alone, from the original bytes: unescaped and UTF-8 checked.
  simdjson::padded_string token(body.data() + offset, length);
  od::parser parser;
  od::document doc;
  std::string_view cursor;
  if (parser.iterate(token).get(doc) != SUCCESS || doc.get_string().get(cursor) != SUCCESS) {
    return permanent_error(fmt::format("{}: cursor is not a valid string", what));
  }
  if (cursor.size() > max_cursor_bytes) return permanent_error(fmt::format("{}: the cursor is too long", what));
  return std::string(cursor);
}

}  // namespace gb::api::detail
