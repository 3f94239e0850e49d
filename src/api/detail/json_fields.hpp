#pragma once
// Reading the few fields the API client needs out of small JSON bodies with
// simdjson, copying the body only when it lacks simdjson's padding.
#include <simdjson.h>

#include <string>
#include <string_view>

namespace gb::api::detail {

// Makes `body` safe for simdjson::ondemand::parser::iterate without copying
// it again: grows its capacity by SIMDJSON_PADDING. Returns the view to parse.
inline simdjson::padded_string_view padded(std::string& body) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}

}  // namespace gb::api::detail
