#include "records/chunk_parser.hpp"

#include <fmt/format.h>

#include <utility>

namespace gb::records {

SplitterSettings ChunkParser::splitter_settings(const ChunkParserSettings& s, ChunkParser* large_to) {
  SplitterSettings out;
  if (large_to != nullptr) {
    out.large.begin = [large_to](std::uint64_t) { return large_to->begin_large(); };
    out.large.bytes = [large_to](std::string_view bytes) { return large_to->large_.bytes(bytes); };
    out.large.end = [large_to] { return large_to->large_.end(); };
  }
  out.max_element_bytes = s.max_record_bytes;
  out.array_key = s.results_key;
  out.kernel = s.kernel;
  return out;
}

ChunkParser::ChunkParser(ChunkParserSettings settings, BatchFn on_batch, LargeRecordSink large)
    : settings_(std::move(settings)),
      on_batch_(std::move(on_batch)),
      large_(std::move(large)),
      parser_(settings_.key_field, settings_.leave_json_to_store),
      splitter_(splitter_settings(settings_, large_.begin ? this : nullptr),
                [this](std::string_view raw) { return on_element(raw); }),
      next_ordinal_(settings_.first_ordinal) {}

Status ChunkParser::begin_large() {
  ++quarantined_;
  return large_.begin(next_ordinal_++, fmt::format("record larger than the maximum record size of {} bytes",
                                                   settings_.max_record_bytes));
}

Status ChunkParser::feed(std::string_view bytes) {
  return splitter_.feed(bytes);
}

Status ChunkParser::finish() {
  if (Status status = splitter_.finish(); !status) return status;
  return flush();
}

Status ChunkParser::on_element(std::string_view raw) {
  const std::size_t quarantined_before = batch_.quarantined.size();
  parser_.parse(raw, next_ordinal_++, batch_);
  if (batch_.quarantined.size() != quarantined_before) {
    ++quarantined_;
  } else {
    ++records_;
  }
  const std::size_t entries = batch_.records.size() + batch_.quarantined.size();
  if (entries >= settings_.batch_records || batch_.raw_bytes >= settings_.batch_bytes) return flush();
  return ok_status();
}

Status ChunkParser::flush() {
  if (batch_.empty()) return ok_status();
  Status status = on_batch_(batch_);
  batch_.clear();
  return status;
}

Result<RecordBatch> parse_page(std::string_view body, std::string_view results_key, KeyField key_field,
                               std::uint64_t first_ordinal, bool leave_json_to_store) {
  ChunkParserSettings settings;
  settings.key_field = key_field;
  settings.leave_json_to_store = leave_json_to_store;
  settings.results_key = std::string(results_key);
  settings.first_ordinal = first_ordinal;
  settings.batch_records = static_cast<std::size_t>(-1);
  settings.batch_bytes = static_cast<std::uint64_t>(-1);
  RecordBatch page;
  ChunkParser parser(std::move(settings), [&page](RecordBatch& batch) {
    page = std::move(batch);
    return ok_status();
  });
  if (Status status = parser.feed(body); !status) return std::move(status).error();
  if (Status status = parser.finish(); !status) return std::move(status).error();
  return page;
}

}  // namespace gb::records
