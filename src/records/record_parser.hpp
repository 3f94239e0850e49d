#pragma once
// Checks one element alone and turns it into a Record (key + raw bytes) or a
// Quarantined entry (raw bytes + reason). Nothing is ever dropped.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "records/record.hpp"

namespace gb::records {

inline constexpr std::size_t kMaxKeyBytes = 256;

// Quarantine reasons (Quarantined::reason starts with one of these):
//   "malformed JSON: <what the parser said>"
//   "invalid UTF-8"
//   "not a JSON object"
//   "no key field \"<name>\""
//   "key field \"<name>\" is not a string"
//   "key field \"<name>\" is empty"
//   "key field \"<name>\" is longer than 256 bytes"
//   "key field \"<name>\" contains control characters"
// Escapes such as \u0000 inside values are valid JSON and do not quarantine a
// record; its raw bytes are kept as received either way.
//
// Asked to leave the JSON check to the store (one that judges JSON itself:
// sinks::Landing::judges_json()), the parser checks only the UTF-8 (all of
// it) and the key, without building the record's tree, and marks the record
// left_to_store. An element whose key it cannot read that way gets the full
// check, so a quarantined element's reason is the same either way.
//
// Not thread-safe (it reuses its parse buffers): one per thread.
class RecordParser {
 public:
  explicit RecordParser(KeyField key_field, bool leave_json_to_store = false);
  ~RecordParser();
  RecordParser(RecordParser&&) noexcept;
  RecordParser& operator=(RecordParser&&) noexcept;

  // Appends the element to batch.records or batch.quarantined, adding its
  // size to batch.raw_bytes.
  void parse(std::string_view raw, std::uint64_t ordinal, RecordBatch& batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::records
