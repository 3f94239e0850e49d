#include "records/record_parser.hpp"

#include <simdjson.h>

#include <string>
#include <utility>

namespace gb::records {
namespace {

// Empty when `value` may be a record's key; else why not.
std::string key_problem(std::string_view key_name, std::string_view value) {
  if (value.empty()) return "key field \"" + std::string(key_name) + "\" is empty";
  if (value.size() > kMaxKeyBytes) {
    return "key field \"" + std::string(key_name) + "\" is longer than " + std::to_string(kMaxKeyBytes) + " bytes";
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "key field \"" + std::string(key_name) + "\" contains control characters";
  }
  return {};
}

}  // namespace

struct RecordParser::Impl {
  Impl(KeyField field, bool leave) : key_name(key_field_name(field)), leave_json_to_store(leave) {}

  // check() and read_key_only() both read up to SIMDJSON_PADDING bytes past
  // the end of `raw`, so it must have that much capacity beyond its size.

  // Empty when the element is a good record (then `key` is set).
  std::string check(const std::string& raw, std::string& key) {
    simdjson::dom::element root;
    if (auto error = dom.parse(raw.data(), raw.size(), false).get(root); error) {
      if (error == simdjson::UTF8_ERROR) return "invalid UTF-8";
      return std::string("malformed JSON: ") + simdjson::error_message(error);
    }
    simdjson::dom::object object;
    if (root.get_object().get(object)) return "not a JSON object";
    simdjson::dom::element field;
    if (object.at_key(key_name).get(field)) return "no key field \"" + std::string(key_name) + "\"";
    std::string_view value;
    if (field.get_string().get(value)) return "key field \"" + std::string(key_name) + "\" is not a string";
    if (std::string reason = key_problem(key_name, value); !reason.empty()) return reason;
    key.assign(value);
    return {};
  }

  // The key alone, On Demand: stage 1 (which validates all the UTF-8) and
  // the fields up to the key, no tree. False when that does not find a good
  // key, whatever the reason: check() then tells why.
  bool read_key_only(const std::string& raw, std::string& key) {
    simdjson::ondemand::document doc;
    if (on_demand.iterate(raw.data(), raw.size(), raw.capacity()).get(doc)) return false;
    simdjson::ondemand::object object;
    if (doc.get_object().get(object)) return false;
    std::string_view value;
    if (object.find_field_unordered(key_name).get_string().get(value)) return false;
    if (!key_problem(key_name, value).empty()) return false;
    key.assign(value);
    return true;
  }

  std::string_view key_name;
  bool leave_json_to_store;
  simdjson::dom::parser dom;
  simdjson::ondemand::parser on_demand;
};

RecordParser::RecordParser(KeyField key_field, bool leave_json_to_store)
    : impl_(std::make_unique<Impl>(key_field, leave_json_to_store)) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

void RecordParser::parse(std::string_view raw, std::uint64_t ordinal, RecordBatch& batch) {
  // The copy the batch keeps is also the parser's padded input: one copy.
  std::string owned;
  owned.reserve(raw.size() + simdjson::SIMDJSON_PADDING);
  owned.assign(raw);
  std::string key;
  batch.raw_bytes += raw.size();
  if (impl_->leave_json_to_store && impl_->read_key_only(owned, key)) {
    batch.records.push_back(Record{ordinal, std::move(key), std::move(owned), /*left_to_store=*/true});
    return;
  }
  std::string reason = impl_->check(owned, key);
  if (reason.empty()) {
    batch.records.push_back(Record{ordinal, std::move(key), std::move(owned)});
  } else {
    batch.quarantined.push_back(Quarantined{ordinal, std::move(reason), std::move(owned)});
  }
}

}  // namespace gb::records
