#pragma once
// A chunk (or page) body, fed as it streams in, to bounded batches of records:
// the splitter finds each element, the record parser checks it, and full
// batches go to a callback, so memory does not grow with the body.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "records/array_splitter.hpp"
#include "records/record.hpp"
#include "records/record_parser.hpp"

namespace gb::records {

struct ChunkParserSettings {
  KeyField key_field = KeyField::kId;
  // Empty for a bare array (bulk chunks); else the page object's array key
  // ("conversations", "userDetails").
  std::string results_key;
  // A batch is handed over when it holds this many records + quarantined
  // entries, or this many raw bytes, whichever comes first.
  std::size_t batch_records = 1000;
  std::uint64_t batch_bytes = std::uint64_t{8} * 1024 * 1024;
  std::size_t max_record_bytes = kDefaultMaxElementBytes;
  std::uint64_t first_ordinal = 0;  // ordinal of the first element
  ScanKernel kernel = ScanKernel::kAuto;
  bool leave_json_to_store = false;  // RecordParser's, for a store that judges JSON itself
};

// Where a record over max_record_bytes goes, as a quarantined entry, when
// it must not fail the body: begin() with its ordinal and the reason, its
// bytes in pieces, end(). Never held whole in memory.
struct LargeRecordSink {
  std::function<Status(std::uint64_t ordinal, const std::string& reason)> begin;
  std::function<Status(std::string_view bytes)> bytes;
  std::function<Status()> end;
};

// Not thread-safe: one per body (per download attempt). Ordinals count the
// elements of the body from first_ordinal, records and quarantined alike.
// Batches handed over before feed() or finish() fails belong to a failed
// attempt: the caller discards them (a chunk lands wholly or not at all).
class ChunkParser {
 public:
  // Gets each full batch, and the last one from finish(); it may move the
  // contents out. A non-ok Status stops parsing and is returned as is.
  using BatchFn = std::function<Status(RecordBatch& batch)>;

  // With `large` set, a record over max_record_bytes goes there (counted as
  // quarantined) instead of failing the body.
  ChunkParser(ChunkParserSettings settings, BatchFn on_batch, LargeRecordSink large = {});
  ChunkParser(const ChunkParser&) = delete;  // the splitter calls back into this object
  ChunkParser& operator=(const ChunkParser&) = delete;

  Status feed(std::string_view bytes);
  // After the last byte: hands over the last batch (if not empty). Errors as
  // ArraySplitter's ("not JSON: ...", "truncated: ..." are kTransient).
  Status finish();

  std::uint64_t records() const { return records_; }
  std::uint64_t quarantined() const { return quarantined_; }
  std::uint64_t bytes_fed() const { return splitter_.bytes_fed(); }
  std::size_t buffered_bytes() const { return splitter_.buffered_bytes(); }

 private:
  static SplitterSettings splitter_settings(const ChunkParserSettings& s, ChunkParser* large_to);
  Status on_element(std::string_view raw);
  Status begin_large();
  Status flush();

  ChunkParserSettings settings_;
  BatchFn on_batch_;
  LargeRecordSink large_;
  RecordParser parser_;
  ArraySplitter splitter_;
  RecordBatch batch_;
  std::uint64_t next_ordinal_;
  std::uint64_t records_ = 0;
  std::uint64_t quarantined_ = 0;
};

// One analytics page held whole in memory (api::Page::body): the elements of
// the array at `results_key` (a missing key gives an empty batch), numbered
// from first_ordinal. The cursor is api::Page's business.
Result<RecordBatch> parse_page(std::string_view body, std::string_view results_key, KeyField key_field,
                               std::uint64_t first_ordinal, bool leave_json_to_store = false);

}  // namespace gb::records
