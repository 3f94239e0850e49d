#pragma once
// The deterministic data generator: record i of a job is a pure function of
// the job's DataParams and i, so a test can compute exactly which records
// must land. Shapes follow the spec (AnalyticsConversation,
// AnalyticsUserDetail, bulk records with an "id"), with unusual but valid
// Unicode (accents, CJK, emoji) in some strings. All functions are pure and
// thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "simulator/faults.hpp"

namespace gb::simulator {

enum class JobKind { kConversations, kUsers, kBulk };

struct DataParams {
  std::uint64_t seed = 1;
  std::string job_id;  // salts every key and value
  JobKind kind = JobKind::kConversations;
  std::string bulk_type;  // bulk only: users | interactions | analytics
  std::uint64_t records = 0;
  std::uint64_t chunk_records = 5000;  // bulk chunk size
  std::size_t record_bytes = 0;        // 0 = natural size; else each record is padded to at least this
  std::size_t huge_chunk_bytes = 0;    // >0: records of chunk 0 are padded so the chunk is about this big
  std::size_t huge_record_bytes = 0;   // >0: bulk record 1 is padded to this size
  FaultRate malformed_record;
  FaultRate invalid_utf8;
  FaultRate nul_escape;
};

enum class Flaw { kNone, kMalformed, kInvalidUtf8, kNulEscape };

// "conversations" | "users" | "bulk:<users|interactions|analytics>" -> kind (+ bulk_type).
Result<JobKind> parse_job_type(std::string_view type, std::string* bulk_type);
// The record's key field name: conversationId, userId or id.
std::string_view key_field(JobKind kind);

// A UUID-shaped string (8-4-4-4-12 lower-case hex) from two 64-bit values.
std::string uuid_from(std::uint64_t hi, std::uint64_t lo);
// The id of the n-th job (0-based) created by a server with this seed.
std::string job_id_for(std::uint64_t seed, std::uint64_t n);

std::string record_key(const DataParams& params, std::uint64_t i);
Flaw flaw_of(const DataParams& params, std::uint64_t i);
// Appends record i as one JSON object (invalid JSON if flawed so).
void append_record(std::string& out, const DataParams& params, std::uint64_t i);
// Appends records [first, first+count) separated by commas (no brackets).
void append_records(std::string& out, const DataParams& params, std::uint64_t first, std::uint64_t count);

// Bulk chunks: how many, which records, and the body (a JSON array).
std::uint64_t chunk_count(const DataParams& params);
std::uint64_t chunk_first_record(const DataParams& params, std::uint64_t chunk);
std::uint64_t chunk_record_count(const DataParams& params, std::uint64_t chunk);
std::string render_chunk(const DataParams& params, std::uint64_t chunk);

}  // namespace gb::simulator
