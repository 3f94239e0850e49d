#pragma once
// One record of an export: its key and its raw JSON bytes, exactly as received.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace gb::records {

struct Record {
  std::uint64_t ordinal = 0;  // position in its chunk or page, from 0
  std::string key;            // conversationId, userId or id
  std::string raw;            // the element's bytes, unmodified
  // Set only by a RecordParser asked to leave the JSON check to the store
  // (record_parser.hpp): its key and its UTF-8 were checked, the rest of its
  // JSON was not. A store may land it as it is only if it refuses bad JSON
  // itself and can then land the chunk again with every record checked. A
  // record built anywhere else (read back from a spill file, say) leaves it
  // false and is checked like any other.
  bool left_to_store = false;
};

// Bytes too many to hold in memory (a record over the size cap), read in
// pieces where they wait (a spill file). Valid as long as the batch that
// carries them is (until its source's next call).
class LargeBytes {
 public:
  virtual ~LargeBytes() = default;
  virtual std::uint64_t size() const = 0;
  // Reads up to `n` bytes at `offset` into `out`; how many it read.
  virtual Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const = 0;
};

// A record that could not be accepted; it is kept, never dropped.
struct Quarantined {
  std::uint64_t ordinal = 0;
  std::string reason;  // e.g. "invalid UTF-8 in a string", "no key field \"id\""
  std::string raw;     // the element's bytes, unmodified (may be invalid UTF-8)
  // Set instead of `raw` for a record too large to hold in memory.
  std::shared_ptr<const LargeBytes> large = nullptr;

  std::uint64_t size() const { return large ? large->size() : raw.size(); }
};

// What a parser hands to a sink at a time. Bounded in size by the producer.
struct RecordBatch {
  std::vector<Record> records;
  std::vector<Quarantined> quarantined;
  std::uint64_t raw_bytes = 0;  // sum of raw sizes, for progress and flushing

  bool empty() const { return records.empty() && quarantined.empty(); }
  void clear() {
    records.clear();
    quarantined.clear();
    raw_bytes = 0;
  }
};

// The field that carries a record's key, by export type.
enum class KeyField { kConversationId, kUserId, kId };
std::string_view key_field_name(KeyField field);

}  // namespace gb::records
