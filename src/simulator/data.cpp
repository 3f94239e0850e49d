#include "simulator/data.hpp"

#include <fmt/format.h>

#include <array>
#include <iterator>

#include "base/json.hpp"
#include "simulator/checksum.hpp"

namespace gb::simulator {
namespace {

// Valid UTF-8 on purpose: accents, CJK, Cyrillic, RTL, emoji, quotes.
constexpr std::array<std::string_view, 12> kNames = {
    "José Müller",       "Zoë Ångström", "王小明",   "さくら 田中",          "Олег Петров",   "Nguyễn Thị Minh",
    "Søren Kierkegaard", "Ana 🌟 Silva",  "محمد علي", "Renée \"Ray\" Dupont", "Chloé O'Brien", "Łukasz Żółć"};
constexpr std::array<std::string_view, 4> kMedia = {"voice", "chat", "email", "message"};
constexpr std::array<std::string_view, 4> kSegmentTypes = {"alert", "interact", "hold", "wrapup"};
constexpr std::array<std::string_view, 4> kDisconnects = {"client", "peer", "endpoint", "transfer"};
constexpr std::array<std::string_view, 5> kMetrics = {"tAlert", "tTalk", "tHeld", "tAcw", "nConnected"};
constexpr std::array<std::string_view, 4> kPresences = {"AVAILABLE", "BUSY", "AWAY", "MEAL"};
constexpr std::array<std::string_view, 4> kRouting = {"IDLE", "INTERACTING", "NOT_RESPONDING", "OFF_QUEUE"};
constexpr std::array<std::string_view, 4> kDepartments = {"Støtte", "営業", "Facturación", "Support 🛠"};

// A tiny deterministic stream of numbers for one record.
class Rng {
 public:
  explicit Rng(std::uint64_t state) : state_(state) {}
  std::uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  std::string uuid() {
    const auto hi = next();
    return uuid_from(hi, next());
  }

 private:
  std::uint64_t state_;
};

std::uint64_t job_salt(const DataParams& p) {
  return mix64(p.seed ^ mix64(fnv1a64(p.job_id)));
}

template <std::size_t N>
std::string_view pick(Rng& rng, const std::array<std::string_view, N>& from) {
  return from[rng.below(N)];
}

// Seconds since 2026-11-01T00:00:00Z, kept inside November 2026.
void append_time(std::string& out, std::uint64_t seconds, unsigned millis) {
  seconds %= 30ULL * 86400ULL;
  const auto day = seconds / 86400 + 1;
  const auto h = seconds / 3600 % 24;
  const auto m = seconds / 60 % 60;
  const auto s = seconds % 60;
  fmt::format_to(std::back_inserter(out), "\"2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z\"", day, h, m, s, millis % 1000);
}

void append_kv_time(std::string& out, std::string_view key, std::uint64_t seconds, unsigned millis) {
  out += '"';
  out += key;
  out += "\":";
  append_time(out, seconds, millis);
}

void append_kv(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":";
  append_json_string(out, value);
}

void append_conversation(std::string& out, const std::string& key, Rng& rng) {
  const std::uint64_t start = rng.below(29ULL * 86400ULL);
  const std::uint64_t length = 30 + rng.below(3600);
  out += '{';
  append_kv(out, "conversationId", key);
  out += ',';
  append_kv_time(out, "conversationStart", start, static_cast<unsigned>(rng.below(1000)));
  out += ',';
  append_kv_time(out, "conversationEnd", start + length, static_cast<unsigned>(rng.below(1000)));
  out += ',';
  append_kv(out, "originatingDirection", rng.below(2) ? "inbound" : "outbound");
  out += ",\"divisionIds\":[";
  append_json_string(out, rng.uuid());
  out += "],\"participants\":[";
  const auto participants = 2 + rng.below(3);
  for (std::uint64_t p = 0; p < participants; ++p) {
    if (p) out += ',';
    out += '{';
    append_kv(out, "participantId", rng.uuid());
    out += ',';
    append_kv(out, "participantName", pick(rng, kNames));
    out += ',';
    const bool agent = p > 0;
    append_kv(out, "purpose", agent ? "agent" : "customer");
    if (agent) {
      out += ',';
      append_kv(out, "userId", rng.uuid());
    }
    out += ",\"sessions\":[{";
    append_kv(out, "sessionId", rng.uuid());
    out += ',';
    append_kv(out, "mediaType", pick(rng, kMedia));
    out += ',';
    append_kv(out, "direction", rng.below(2) ? "inbound" : "outbound");
    fmt::format_to(std::back_inserter(out), ",\"ani\":\"tel:+1555{:07}\",\"dnis\":\"tel:+1800{:07}\"",
                   rng.below(10000000), rng.below(10000000));
    out += ",\"segments\":[";
    const auto segments = 2 + rng.below(3);
    std::uint64_t t = start;
    for (std::uint64_t s = 0; s < segments; ++s) {
      if (s) out += ',';
      const auto dt = 1 + rng.below(600);
      out += '{';
      append_kv_time(out, "segmentStart", t, static_cast<unsigned>(rng.below(1000)));
      out += ',';
      append_kv_time(out, "segmentEnd", t + dt, static_cast<unsigned>(rng.below(1000)));
      t += dt;
      out += ',';
      append_kv(out, "segmentType", pick(rng, kSegmentTypes));
      out += ',';
      append_kv(out, "queueId", rng.uuid());
      if (s + 1 == segments) {
        out += ',';
        append_kv(out, "disconnectType", pick(rng, kDisconnects));
        out += ',';
        append_kv(out, "wrapUpCode", rng.uuid());
      }
      out += '}';
    }
    out += "],\"metrics\":[";
    const auto metrics = 2 + rng.below(3);
    for (std::uint64_t m = 0; m < metrics; ++m) {
      if (m) out += ',';
      fmt::format_to(std::back_inserter(out), "{{\"name\":\"{}\",\"value\":{},", pick(rng, kMetrics),
                     rng.below(1000000));
      append_kv_time(out, "emitDate", start + length, static_cast<unsigned>(rng.below(1000)));
      out += '}';
    }
    out += "]}]}";
  }
  out += "]}";
}

// Appends `count` back-to-back intervals from t (moved past them), each of
// 60 s to 60 + max_seconds long, with startTime, endTime and what `fields` adds.
template <class Fields>
void append_intervals(std::string& out, Rng& rng, std::uint64_t& t, std::uint64_t count, std::uint64_t max_seconds,
                      Fields&& fields) {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i) out += ',';
    const auto dt = 60 + rng.below(max_seconds);
    out += '{';
    append_kv_time(out, "startTime", t, static_cast<unsigned>(rng.below(1000)));
    out += ',';
    append_kv_time(out, "endTime", t + dt, static_cast<unsigned>(rng.below(1000)));
    t += dt;
    fields();
    out += '}';
  }
}

void append_user_detail(std::string& out, const std::string& key, Rng& rng) {
  out += '{';
  append_kv(out, "userId", key);
  std::uint64_t t = rng.below(29ULL * 86400ULL);
  out += ",\"primaryPresence\":[";
  append_intervals(out, rng, t, 3 + rng.below(4), 7200, [&] {
    out += ',';
    append_kv(out, "systemPresence", pick(rng, kPresences));
    out += ',';
    append_kv(out, "organizationPresenceId", rng.uuid());
  });
  out += "],\"routingStatus\":[";
  append_intervals(out, rng, t, 3 + rng.below(4), 3600, [&] {
    out += ',';
    append_kv(out, "routingStatus", pick(rng, kRouting));
  });
  out += "]}";
}

void append_bulk(std::string& out, const std::string& key, const DataParams& p, Rng& rng) {
  out += '{';
  append_kv(out, "id", key);
  out += ',';
  append_kv(out, "type", p.bulk_type);
  out += ',';
  append_kv(out, "name", pick(rng, kNames));
  fmt::format_to(std::back_inserter(out), ",\"email\":\"user{}@example.com\",", rng.below(1000000));
  append_kv(out, "department", pick(rng, kDepartments));
  out += ',';
  append_kv_time(out, "dateModified", rng.below(29ULL * 86400ULL), static_cast<unsigned>(rng.below(1000)));
  out += ",\"attributes\":{";
  append_kv(out, "divisionId", rng.uuid());
  fmt::format_to(std::back_inserter(out), ",\"version\":{},\"skills\":[", 1 + rng.below(50));
  const auto skills = 1 + rng.below(4);
  for (std::uint64_t i = 0; i < skills; ++i) {
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{{\"skill\":\"skill-{}\",\"proficiency\":{}}}", rng.below(100),
                   rng.below(6));
  }
  out += "]}}";
}

// Counted flaws take consecutive records, each kind after the previous one's
// (`first`), so "--fault-malformed 2 --fault-invalid-utf8 2" flaws four records.
bool flawed(const FaultRate& rate, std::uint64_t first, std::uint64_t salt, std::uint64_t kind, std::uint64_t i) {
  if (i >= first && i - first < rate.count) return true;
  return rate.probability > 0.0 && unit_interval(mix64(salt ^ mix64((kind << 56) ^ i))) < rate.probability;
}

std::size_t target_bytes(const DataParams& p, std::uint64_t i) {
  if (p.huge_record_bytes > 0 && p.kind == JobKind::kBulk && i == 1) return p.huge_record_bytes;
  if (p.huge_chunk_bytes > 0 && p.kind == JobKind::kBulk && i < chunk_record_count(p, 0)) {
    return std::max(p.record_bytes, p.huge_chunk_bytes / chunk_record_count(p, 0));
  }
  return p.record_bytes;
}

}  // namespace

Result<JobKind> parse_job_type(std::string_view type, std::string* bulk_type) {
  if (type == "conversations") return JobKind::kConversations;
  if (type == "users") return JobKind::kUsers;
  if (type.starts_with("bulk:")) {
    const auto sub = type.substr(5);
    if (sub == "users" || sub == "interactions" || sub == "analytics") {
      if (bulk_type) *bulk_type = std::string(sub);
      return JobKind::kBulk;
    }
    return invalid_input("unknown bulk job type '" + std::string(sub) + "' (users, interactions, analytics)");
  }
  return invalid_input("unknown job type '" + std::string(type) + "' (conversations, users, bulk:<jobType>)");
}

std::string_view key_field(JobKind kind) {
  switch (kind) {
    case JobKind::kConversations: return "conversationId";
    case JobKind::kUsers: return "userId";
    case JobKind::kBulk: return "id";
  }
  return "id";
}

std::string uuid_from(std::uint64_t hi, std::uint64_t lo) {
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

std::string job_id_for(std::uint64_t seed, std::uint64_t n) {
  const auto a = mix64(seed ^ mix64(0x6a6f62ULL ^ (n << 8)));
  return uuid_from(a, mix64(a ^ n));
}

std::string record_key(const DataParams& p, std::uint64_t i) {
  const auto salt = job_salt(p);
  const auto hi = mix64(salt ^ mix64(2 * i + 1));
  return uuid_from(hi, mix64(hi ^ salt ^ i));
}

Flaw flaw_of(const DataParams& p, std::uint64_t i) {
  if (!p.malformed_record.active() && !p.invalid_utf8.active() && !p.nul_escape.active()) return Flaw::kNone;
  const auto salt = job_salt(p);
  const std::uint64_t utf8_first = p.malformed_record.count;
  const std::uint64_t nul_first = utf8_first + p.invalid_utf8.count;
  if (flawed(p.malformed_record, 0, salt, 1, i)) return Flaw::kMalformed;
  if (flawed(p.invalid_utf8, utf8_first, salt, 2, i)) return Flaw::kInvalidUtf8;
  if (flawed(p.nul_escape, nul_first, salt, 3, i)) return Flaw::kNulEscape;
  return Flaw::kNone;
}

void append_record(std::string& out, const DataParams& p, std::uint64_t i) {
  const std::size_t begin = out.size();
  const std::string key = record_key(p, i);
  Rng rng(mix64(job_salt(p) ^ mix64(i)));
  switch (p.kind) {
    case JobKind::kConversations: append_conversation(out, key, rng); break;
    case JobKind::kUsers: append_user_detail(out, key, rng); break;
    case JobKind::kBulk: append_bulk(out, key, p, rng); break;
  }
  // Flaws go just before the closing brace; the key stays where it was.
  out.pop_back();
  switch (flaw_of(p, i)) {
    case Flaw::kNone: break;
    case Flaw::kMalformed: out += ",\"flag\":tru,\"n\":01"; break;
    case Flaw::kInvalidUtf8: out += ",\"note\":\"bad \xC3\x28 byte \xFF\""; break;
    case Flaw::kNulEscape: out += ",\"note\":\"nul \\u0000 inside\""; break;
  }
  constexpr std::string_view kFiller = ",\"filler\":\"\"}";
  const std::size_t size = out.size() - begin + 1;
  const std::size_t target = target_bytes(p, i);
  if (target >= size + kFiller.size() - 1) {
    out += ",\"filler\":\"";
    const std::size_t n = target - (size + kFiller.size() - 1);
    const std::size_t at = out.size();
    out.resize(at + n);
    for (std::size_t k = 0; k < n; ++k) out[at + k] = static_cast<char>('a' + (k + i) % 26);
    out += "\"}";
  } else {
    out += '}';
  }
}

void append_records(std::string& out, const DataParams& p, std::uint64_t first, std::uint64_t count) {
  for (std::uint64_t i = first; i < first + count; ++i) {
    if (i != first) out += ',';
    append_record(out, p, i);
  }
}

std::uint64_t chunk_count(const DataParams& p) {
  if (p.records == 0) return 0;
  return (p.records + p.chunk_records - 1) / p.chunk_records;
}

std::uint64_t chunk_first_record(const DataParams& p, std::uint64_t chunk) {
  return chunk * p.chunk_records;
}

std::uint64_t chunk_record_count(const DataParams& p, std::uint64_t chunk) {
  const auto first = chunk_first_record(p, chunk);
  if (first >= p.records) return 0;
  return std::min(p.chunk_records, p.records - first);
}

std::string render_chunk(const DataParams& p, std::uint64_t chunk) {
  std::string out;
  const auto n = chunk_record_count(p, chunk);
  std::size_t estimate = n * (p.record_bytes ? p.record_bytes + 1 : 1024) + 2;
  if (chunk == 0 && p.huge_chunk_bytes) estimate = std::max(estimate, p.huge_chunk_bytes + n + 2);
  if (chunk == 0) estimate += p.huge_record_bytes;
  out.reserve(estimate);
  out += '[';
  append_records(out, p, chunk_first_record(p, chunk), n);
  out += ']';
  return out;
}

}  // namespace gb::simulator
