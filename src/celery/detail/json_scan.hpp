#pragma once
// Raw slices of JSON text that simdjson has already validated: simdjson's
// DOM gives values, not where they sit in the text, and we keep args,
// kwargs and the embed as the producer wrote them (re-serializing could
// change a float's digits). On invalid input these return garbage slices,
// never read out of bounds.
#include <cstddef>
#include <string_view>
#include <vector>

namespace gb::celery::detail {

// One past the end of the value that starts at `begin`.
std::size_t value_end(std::string_view json, std::size_t begin);

// The elements of the array that is the whole of `json`, in order.
std::vector<std::string_view> array_elements(std::string_view json);

// The values of the members of the object that is the whole of `json`, in
// order (the order simdjson's DOM iterates them in).
std::vector<std::string_view> member_values(std::string_view json);

}  // namespace gb::celery::detail
