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
inline constexpr int kMaxPlainDepth = 1000;
inline constexpr std::size_t kMaxPlainBytes = 16000;

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
// Asked to (the store reads the mark: sinks::Landing::reads_plain_json()),
// the parser also marks a good record plain_json when, beyond strict RFC 8259 in
// valid UTF-8 (what every record is), it has
//   - no NUL character in any string or key (no \u0000 escape),
//   - no number that parses to zero unless written as an integer (a zero
//     double may hide an exponent or a scale no decimal type holds),
//   - nesting at most kMaxPlainDepth deep, and at most kMaxPlainBytes bytes
//     (so no number can carry more digits than a decimal type holds).
// Stores whose JSON types refuse only such values (PostgreSQL's jsonb) then
// need no check of their own: a walk of the tree parsed anyway costs far
// less than a second pass over every byte. Other stores do not ask, as the
// walk is still a fraction of the parse.
// Not thread-safe (it reuses its parse buffers): one per thread.
class RecordParser {
 public:
  explicit RecordParser(KeyField key_field, bool mark_plain_json = false);
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

// Whether `json` is one JSON value that is plain JSON (above); parses it.
// For tests and fuzzing: RecordParser decides it on the tree it has.
bool is_plain_json(std::string_view json);

}  // namespace gb::records
