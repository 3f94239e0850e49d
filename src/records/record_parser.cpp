#include "records/record_parser.hpp"

#include <simdjson.h>

#include <string>
#include <utility>

namespace gb::records {

struct RecordParser::Impl {
  explicit Impl(KeyField field) : key_name(key_field_name(field)) {}

  // Empty when the element is a good record (then `key` is set). simdjson
  // reads up to SIMDJSON_PADDING bytes past the end, so `raw` must have that
  // much capacity beyond its size.
  std::string check(const std::string& raw, std::string& key) {
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
    return {};
  }

  std::string_view key_name;
  simdjson::dom::parser parser;
};

RecordParser::RecordParser(KeyField key_field) : impl_(std::make_unique<Impl>(key_field)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

void RecordParser::parse(std::string_view raw, std::uint64_t ordinal, RecordBatch& batch) {
  // The copy the batch keeps is also the parser's padded input: one copy.
  std::string owned;
  owned.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
  owned.assign(raw);
  std::string key;
  std::string reason = impl_->check(owned, key);
  if (reason.empty()) {
    batch.records.push_back(Record{ordinal, std::move(key), std::move(owned)});
  } else {
    batch.quarantined.push_back(Quarantined{ordinal, std::move(reason), std::move(owned)});
  }
  batch.raw_bytes += raw.size();
}

}  // namespace gb::records
