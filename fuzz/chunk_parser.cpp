// Fuzzes records::ChunkParser (splitter + record parser) and parse_page: a
// chunk or page body to batches of records and quarantined entries.
//
// Input: 3 header bytes, then the body.
//   byte 0  bits 0-1: key field (0 id, 1 userId, 2 conversationId, 3 id)
//           bit 2: page mode (the array at "userDetails" in an object)
//   byte 1  records per batch (n % 16 + 1)
//   byte 2  slice size (n + 1)
// Checks: the same records and quarantined entries, in the same batches'
// order, whatever the slicing; ordinals run 0, 1, 2... over records and
// quarantined alike; no batch over its record count; every record has a key
// of 1..256 bytes without control characters that its raw bytes contain;
// raw_bytes adds up; in page mode, parse_page agrees with the streamed parse.
// Leaving the JSON to the store (leave_json_to_store) changes nothing but
// this: a record it leaves to the store (Record::left_to_store) lands with
// the key the full check gives it, unless the full check quarantines it;
// everything else is exactly as with the full check.
#include "records/chunk_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace {

using gb::records::ChunkParser;
using gb::records::ChunkParserSettings;
using gb::records::KeyField;
using gb::records::RecordBatch;

void check(bool condition) {
  if (!condition) std::abort();
}

// Everything a parse produced, by ordinal: "R" key raw, "L" key raw (a
// record left to the store) or "Q" reason raw.
struct Parsed {
  std::map<std::uint64_t, std::string> entries;
  std::uint64_t raw_bytes = 0;
  bool ok = false;
  std::string message;

  bool operator==(const Parsed&) const = default;
};

void collect(const RecordBatch& batch, Parsed& out) {
  std::uint64_t raw = 0;
  for (const auto& r : batch.records) {
    check(!r.key.empty() && r.key.size() <= gb::records::kMaxKeyBytes);
    for (const char c : r.key) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    check(r.raw.find(r.key) != std::string::npos || r.raw.find('\\') != std::string::npos);
    check(out.entries.emplace(r.ordinal, (r.left_to_store ? "L" : "R") + r.key + '\0' + r.raw).second);
    raw += r.raw.size();
  }
  for (const auto& q : batch.quarantined) {
    check(!q.reason.empty());
    check(out.entries.emplace(q.ordinal, "Q" + q.reason + '\0' + q.raw).second);
    raw += q.raw.size();
  }
  check(raw == batch.raw_bytes);
  out.raw_bytes += raw;
}

Parsed parse(std::string_view body, const ChunkParserSettings& settings, std::size_t slice) {
  Parsed out;
  ChunkParser parser(settings, [&](RecordBatch& batch) {
    check(!batch.empty());
    check(batch.records.size() + batch.quarantined.size() <= settings.batch_records);
    collect(batch, out);
    return gb::ok_status();
  });
  gb::Status status = gb::ok_status();
  for (std::size_t at = 0; at < body.size() && status.ok(); at += slice) status = parser.feed(body.substr(at, slice));
  if (status.ok()) status = parser.finish();
  out.ok = status.ok();
  if (!out.ok) out.message = status.error().message;
  if (out.ok) {
    check(parser.records() + parser.quarantined() == out.entries.size());
    std::uint64_t next = 0;
    for (const auto& [ordinal, entry] : out.entries) check(ordinal == next++);
  }
  return out;
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static constexpr KeyField kFields[] = {KeyField::kId, KeyField::kUserId, KeyField::kConversationId, KeyField::kId};
  ChunkParserSettings settings;
  settings.key_field = kFields[data[0] & 3];
  const bool page_mode = (data[0] & 4) != 0;
  if (page_mode) settings.results_key = "userDetails";
  settings.batch_records = data[1] % 16 + 1;
  const std::size_t slice = std::size_t{data[2]} + 1;
  const std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);

  const Parsed whole = parse(body, settings, body.size() + 1);
  const Parsed sliced = parse(body, settings, slice);
  check(whole == sliced);

  ChunkParserSettings leaving = settings;
  leaving.leave_json_to_store = true;
  const Parsed left = parse(body, leaving, slice);
  check(left.ok == whole.ok && left.message == whole.message && left.raw_bytes == whole.raw_bytes);
  check(left.entries.size() == whole.entries.size());
  for (const auto& [ordinal, entry] : left.entries) {
    const std::string& full = whole.entries.at(ordinal);
    check(full[0] != 'L');
    if (entry[0] != 'L') {
      check(entry == full);
    } else if (full[0] == 'R') {
      check(entry.substr(1) == full.substr(1));
    }
  }

  if (page_mode) {
    auto page = gb::records::parse_page(body, settings.results_key, settings.key_field, 0);
    check(page.ok() == whole.ok);
    if (page.ok()) {
      Parsed from_page;
      collect(*page, from_page);
      check(from_page.entries == whole.entries);
    }
  }
  return 0;
}
