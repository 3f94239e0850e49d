#include "records/record_parser.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>
#include <utility>

namespace gb::records {
namespace {

bool holds_nul(std::string_view s) {
  return std::memchr(s.data(), 0, s.size()) != nullptr;
}

// The tree half of plain JSON (record_parser.hpp). Strings can hold a NUL
// only through a \u0000 escape, so they are searched only when the text has
// a backslash (`escapes`).
bool plain_tree(simdjson::dom::element element, int depth, bool escapes) {
  if (depth > kMaxPlainDepth) return false;
  simdjson::dom::object object;
  simdjson::dom::array array;
  double number = 0;
  std::string_view text;
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT:
      if (element.get_object().get(object)) return false;
      for (const auto field : object) {
        if (escapes && holds_nul(field.key)) return false;
        if (!plain_tree(field.value, depth + 1, escapes)) return false;
      }
      return true;
    case simdjson::dom::element_type::ARRAY:
      if (element.get_array().get(array)) return false;
      for (const auto item : array) {
        if (!plain_tree(item, depth + 1, escapes)) return false;
      }
      return true;
    case simdjson::dom::element_type::DOUBLE: return !element.get_double().get(number) && number != 0.0;
    case simdjson::dom::element_type::STRING: return !escapes || (!element.get_string().get(text) && !holds_nul(text));
    default:  // integers, true, false, null
      return true;
  }
}

bool plain(std::string_view raw, simdjson::dom::element root) {
  return raw.size() <= kMaxPlainBytes && plain_tree(root, 0, std::memchr(raw.data(), '\\', raw.size()) != nullptr);
}

}  // namespace

struct RecordParser::Impl {
  Impl(KeyField field, bool mark) : key_name(key_field_name(field)), mark_plain_json(mark) {}

  // Empty when the element is a good record (then `key` and `is_plain` are set). simdjson
  // reads up to SIMDJSON_PADDING bytes past the end, so `raw` must have that
  // much capacity beyond its size.
  std::string check(const std::string& raw, std::string& key, bool& is_plain) {
    simdjson::dom::element root;
    if (auto error = parser.parse(raw.data(), raw.size(), false).get(root); error) {
      if (error == simdjson::UTF8_ERROR) return "invalid UTF-8";
      return std::string("malformed JSON: ") + simdjson::error_message(error);
    }
    simdjson::dom::object object;
    if (root.get_object().get(object)) return "not a JSON object";
    simdjson::dom::element field;
    if (object.at_key(key_name).get(field)) return "no key field \"" + std::string(key_name) + "\"";
    std::string_view value;
    if (field.get_string().get(value)) return "key field \"" + std::string(key_name) + "\" is not a string";
    if (value.empty()) return "key field \"" + std::string(key_name) + "\" is empty";
    if (value.size() > kMaxKeyBytes) {
      return "key field \"" + std::string(key_name) + "\" is longer than " + std::to_string(kMaxKeyBytes) + " bytes";
    }
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return "key field \"" + std::string(key_name) + "\" contains control characters";
    }
    key.assign(value);
    is_plain = mark_plain_json && plain(raw, root);
    return {};
  }

  std::string_view key_name;
  bool mark_plain_json;
  simdjson::dom::parser parser;
};

RecordParser::RecordParser(KeyField key_field, bool mark_plain_json)
    : impl_(std::make_unique<Impl>(key_field, mark_plain_json)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

void RecordParser::parse(std::string_view raw, std::uint64_t ordinal, RecordBatch& batch) {
  // The copy the batch keeps is also the parser's padded input: one copy.
  std::string owned;
  owned.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
  owned.assign(raw);
  std::string key;
  bool is_plain = false;
  std::string reason = impl_->check(owned, key, is_plain);
  if (reason.empty()) {
    batch.records.push_back(Record{ordinal, std::move(key), std::move(owned), is_plain});
  } else {
    batch.quarantined.push_back(Quarantined{ordinal, std::move(reason), std::move(owned)});
  }
  batch.raw_bytes += raw.size();
}

bool is_plain_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root)) return false;
  return plain(json, root);
}

}  // namespace gb::records
