#include "sinks/object_landing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/log.hpp"
#include "records/record_parser.hpp"
#include "sinks/detail/object_io.hpp"
#include "sinks/detail/sha256.hpp"

namespace gb::sinks {
namespace {

using detail::EncodedObject;

// A large quarantined record is read and base64-encoded this many bytes at a
// time: a multiple of 3, so the pieces' encodings concatenate into one.
constexpr std::size_t kLargePiece = std::size_t{3} * 349'525;

// A key segment we build from a type or the prefix: printable ASCII without
// '/' or '\\', not "." or "..", not hidden (a store may keep its temporary
// files under names starting with '.').
bool is_valid_segment(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '/' && c != '\\'; });
}

bool is_valid_prefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  for (std::size_t at = 0;;) {
    const std::size_t slash = prefix.find('/', at);
    if (!is_valid_segment(prefix.substr(at, slash == std::string_view::npos ? slash : slash - at))) return false;
    if (slash == std::string_view::npos) return true;
    at = slash + 1;
  }
}

Status check_names(const ObjectLandingSettings& settings, const std::string& type, const std::string& job_id) {
  if (!is_valid_prefix(settings.prefix)) return invalid_input("object landing: invalid key prefix");
  if (!is_valid_segment(type))
    return invalid_input(fmt::format("object landing: invalid export type {}", json_string(type)));
  if (!is_valid_id(job_id)) return invalid_input("object landing: invalid job id");
  return ok_status();
}

Status check_chunk(const ObjectLandingSettings& settings, const ChunkRef& chunk) {
  auto names = check_names(settings, chunk.type, chunk.job_id);
  if (!names) return names;
  // An id may start with '.' (is_valid_id allows it): keep it off a store's
  // temporary names, as for the other segments.
  if (!is_valid_id(chunk.chunk_id) || chunk.chunk_id.front() == '.') {
    return invalid_input("object landing: invalid chunk id");
  }
  return ok_status();
}

// PREFIX/TYPE/JOB_ID/ ("" prefix: TYPE/JOB_ID/).
std::string job_dir(const ObjectLandingSettings& settings, const std::string& type, const std::string& job_id) {
  std::string dir = settings.prefix;
  if (!dir.empty()) dir += '/';
  dir += type;
  dir += '/';
  dir += job_id;
  dir += '/';
  return dir;
}

std::string extension(const ObjectLandingSettings& settings) {
  return settings.gzip ? ".ndjson.gz" : ".ndjson";
}

std::string quarantine_key(const ObjectLandingSettings& settings, const ChunkRef& chunk) {
  return job_dir(settings, chunk.type, chunk.job_id) + "_quarantine/" + chunk.chunk_id + extension(settings);
}

// A reason as a JSON string that stays valid UTF-8 whatever it quotes.
void append_reason(std::string& out, std::string_view reason) {
  std::string ascii(reason);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  append_json_string(out, ascii);
}

// One quarantine line: {"ordinal":N,"reason":"...","raw_base64":"..."}\n, the
// raw bytes as base64 because they may be anything (invalid UTF-8). A large
// record's bytes are read and encoded piece by piece.
Status write_quarantined(EncodedObject& object, const records::Quarantined& q) {
  std::string line = fmt::format("{{\"ordinal\":{},\"reason\":", q.ordinal);
  append_reason(line, q.reason);
  line += ",\"raw_base64\":\"";
  if (!q.large) {
    detail::append_base64(line, q.raw);
    line += "\"}\n";
    return object.append(line);
  }
  auto head = object.append(line);
  if (!head) return head;
  std::string piece(kLargePiece, '\0');
  std::string encoded;
  const std::uint64_t size = q.large->size();
  for (std::uint64_t at = 0; at < size;) {
    // Fill a whole piece (read may return less) so every piece but the last
    // is a multiple of 3 bytes.
    std::size_t filled = 0;
    while (filled < piece.size() && at + filled < size) {
      auto got = q.large->read(at + filled, piece.data() + filled, piece.size() - filled);
      if (!got) return std::move(got).error();
      if (*got == 0) return internal_error("object landing: a large quarantined record ended early");
      filled += *got;
    }
    encoded.clear();
    detail::append_base64(encoded, std::string_view(piece.data(), filled));
    auto written = object.append(encoded);
    if (!written) return written;
    at += filled;
  }
  return object.append("\"}\n");
}

}  // namespace

ObjectLanding::ObjectLanding(ObjectStore& objects, StateStore& state, ObjectLandingSettings settings)
    : objects_(objects), state_(state), settings_(std::move(settings)) {}

std::string ObjectLanding::chunk_key(const ChunkRef& chunk) const {
  return job_dir(settings_, chunk.type, chunk.job_id) + chunk.chunk_id + extension(settings_);
}

std::uint64_t ObjectLanding::memory_bytes() const {
  const std::uint64_t encoding =
      detail::EncodedObject::kPieceBytes + (settings_.gzip ? detail::GzipDeflater::kMemoryBytes : 0);
  const std::uint64_t per_object = objects_.memory_per_write() + encoding;
  return static_cast<std::uint64_t>(max_concurrent_landings()) * (2 * per_object + kLargePiece);
}

int ObjectLanding::max_concurrent_landings() const {
  return std::max(1, objects_.max_concurrent_writes());
}

Result<LandResult> ObjectLanding::land(const ChunkRef& chunk, BatchSource& source, int attempts,
                                       const std::optional<std::string>& next_cursor) {
  auto valid = check_chunk(settings_, chunk);
  if (!valid) return std::move(valid).error();
  auto landed = state_.is_landed(chunk);
  if (!landed) return std::move(landed).error();
  if (*landed) {
    LandResult skipped;
    skipped.already_landed = true;
    return skipped;
  }

  const std::string key = chunk_key(chunk);
  auto object = EncodedObject::begin(objects_, key, settings_.gzip);
  if (!object) return std::move(object).error();
  // Opened at the first quarantined record: most chunks have none.
  std::optional<EncodedObject> quarantine;

  LandResult result;
  records::RecordBatch batch;
  for (;;) {
    auto more = source.next(batch);
    if (!more) return std::move(more).error();
    if (!*more) break;
    for (const auto& rec : batch.records) {
      auto a = object->append(rec.raw);
      if (a) a = object->append("\n");
      if (!a) return std::move(a).error();
      result.bytes += rec.raw.size();
    }
    result.records += batch.records.size();
    for (const auto& q : batch.quarantined) {
      if (!quarantine) {
        auto opened = EncodedObject::begin(objects_, quarantine_key(settings_, chunk), settings_.gzip);
        if (!opened) return std::move(opened).error();
        quarantine.emplace(std::move(opened).value());
      }
      auto written = write_quarantined(*quarantine, q);
      if (!written) return std::move(written).error();
      result.bytes += q.size();
    }
    result.quarantined += batch.quarantined.size();
  }

  // The quarantine first, then the chunk, then the ledger row: a row never
  // names objects that are not all there.
  if (quarantine) {
    auto committed = quarantine->commit();
    if (!committed) return std::move(committed).error();
  }
  auto checksum = object->commit();
  if (!checksum) return std::move(checksum).error();
  result.checksum = std::move(checksum).value();

  auto recorded = state_.commit_landed(chunk, result, attempts, next_cursor);
  if (!recorded) return std::move(recorded).error();
  if (!*recorded) {
    // Another landing of the same chunk committed first; what this one wrote
    // is the same bytes at the same keys, so nothing changed.
    LandResult skipped;
    skipped.already_landed = true;
    return skipped;
  }
  log::debug("chunk landed")
      .field("job_id", chunk.job_id)
      .field("chunk_id", chunk.chunk_id)
      .field("object", objects_.describe(key))
      .field("records", result.records)
      .field("quarantined", result.quarantined)
      .field("bytes", result.bytes)
      .emit();
  return result;
}

Status ObjectLanding::finish_job(const JobInfo& job, const std::vector<ChunkStatus>& chunks) {
  auto valid = check_names(settings_, job.type, job.job_id);
  if (!valid) return valid;
  std::vector<const ChunkStatus*> sorted;
  sorted.reserve(chunks.size());
  for (const auto& c : chunks) {
    if (c.state != "landed") {
      return internal_error(fmt::format("object landing: no manifest for job {}: chunk {} has not landed", job.job_id,
                                        json_string(c.chunk_id)));
    }
    sorted.push_back(&c);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->chunk_id < b->chunk_id; });

  // Deterministic JSON: fixed field order, chunks by id, no timestamps, so a
  // rerun writes the same manifest.
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::string chunk_list;
  for (const auto* c : sorted) {
    const ChunkRef ref{job.job_id, c->chunk_id, job.type};
    auto chunk_ok = check_chunk(settings_, ref);
    if (!chunk_ok) return chunk_ok;
    records += c->records;
    quarantined += c->quarantined;
    if (!chunk_list.empty()) chunk_list += ",\n";
    chunk_list += "    {\"chunk_id\":";
    append_json_string(chunk_list, c->chunk_id);
    chunk_list += ",\"key\":";
    append_json_string(chunk_list, chunk_key(ref));
    chunk_list += fmt::format(",\"records\":{},\"quarantined\":{},\"bytes\":{},\"sha256\":", c->records, c->quarantined,
                              c->bytes);
    append_json_string(chunk_list, c->checksum);
    if (c->quarantined > 0) {
      chunk_list += ",\"quarantine_key\":";
      append_json_string(chunk_list, quarantine_key(settings_, ref));
    }
    chunk_list += '}';
  }
  std::string manifest = "{\n  \"job_id\": ";
  append_json_string(manifest, job.job_id);
  manifest += ",\n  \"type\": ";
  append_json_string(manifest, job.type);
  manifest += fmt::format(",\n  \"gzip\": {},\n  \"records\": {},\n  \"quarantined\": {},\n  \"chunks\": [\n",
                          settings_.gzip ? "true" : "false", records, quarantined);
  manifest += chunk_list;
  manifest += chunk_list.empty() ? "  ]\n}\n" : "\n  ]\n}\n";

  const std::string key = job_dir(settings_, job.type, job.job_id) + "_manifest.json";
  // A rerun of a finished job lands nothing and would write the same
  // manifest again: leave the one there alone, so a rerun changes nothing.
  std::string existing;
  auto read = objects_.read(key, [&](std::string_view piece) -> Status {
    existing.append(piece);
    if (existing.size() > manifest.size()) return permanent_error("differs");  // no need to read on
    return ok_status();
  });
  if (read && existing == manifest) return ok_status();
  auto object = EncodedObject::begin(objects_, key, /*gzip=*/false);
  if (!object) return std::move(object).error();
  auto written = object->append(manifest);
  if (!written) return written;
  auto committed = object->commit();
  if (!committed) return std::move(committed).error();
  log::info("job manifest written").field("job_id", job.job_id).field("object", objects_.describe(key)).emit();
  return ok_status();
}

Result<LandedKeys> ObjectLanding::read_landed_keys(const std::string& job_id) {
  if (!is_valid_id(job_id)) return invalid_input("object landing: invalid job id");
  auto jobs = state_.status(job_id);
  if (!jobs) return std::move(jobs).error();
  LandedKeys out;
  if (jobs->empty()) return out;
  const JobStatus& js = jobs->front();
  auto valid = check_names(settings_, js.job.type, job_id);
  if (!valid) return std::move(valid).error();
  if (!settings_.key_field_of) return internal_error("object landing: no key_field_of to read keys back with");
  records::RecordParser parser(settings_.key_field_of(js.job.type));
  records::RecordBatch batch;
  for (const auto& c : js.chunks) {
    if (c.state != "landed") continue;
    const ChunkRef ref{job_id, c.chunk_id, js.job.type};
    const std::string key = chunk_key(ref);
    std::uint64_t line_no = 0;
    auto read = detail::read_lines(objects_, key, settings_.gzip, [&](std::string_view line) -> Status {
      batch.clear();
      parser.parse(line, line_no++, batch);
      if (!batch.quarantined.empty()) {
        return internal_error(fmt::format("object landing: line {} of {} is not a record: {}", line_no,
                                          objects_.describe(key), batch.quarantined.front().reason));
      }
      for (auto& rec : batch.records) out.keys.push_back(std::move(rec.key));
      return ok_status();
    });
    if (!read) return std::move(read).error();
    if (c.quarantined == 0) continue;
    auto counted =
        detail::read_lines(objects_, quarantine_key(settings_, ref), settings_.gzip, [&](std::string_view) -> Status {
          ++out.quarantined;
          return ok_status();
        });
    if (!counted) return std::move(counted).error();
  }
  return out;
}

}  // namespace gb::sinks
