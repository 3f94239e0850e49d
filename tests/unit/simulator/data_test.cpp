#include "simulator/data.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>
#include <string>
#include <vector>

namespace gb::simulator {
namespace {

DataParams params(JobKind kind, std::uint64_t records = 100) {
  DataParams p;
  p.seed = 7;
  p.job_id = job_id_for(7, 0);
  p.kind = kind;
  if (kind == JobKind::kBulk) p.bulk_type = "users";
  p.records = records;
  p.chunk_records = 10;
  return p;
}

std::string record(const DataParams& p, std::uint64_t i) {
  std::string out;
  append_record(out, p, i);
  return out;
}

TEST(DataTest, RecordsArePureFunctionsOfSeedJobAndIndex) {
  const auto p = params(JobKind::kConversations);
  EXPECT_EQ(record(p, 3), record(p, 3));
  EXPECT_NE(record(p, 3), record(p, 4));
  auto other_seed = p;
  other_seed.seed = 8;
  EXPECT_NE(record(p, 3), record(other_seed, 3));
  auto other_job = p;
  other_job.job_id = job_id_for(7, 1);
  EXPECT_NE(record_key(p, 3), record_key(other_job, 3));
  EXPECT_EQ(job_id_for(7, 0), job_id_for(7, 0));
  EXPECT_NE(job_id_for(7, 0), job_id_for(7, 1));
}

TEST(DataTest, KeysAreUniqueUuidShapedIds) {
  const auto p = params(JobKind::kBulk, 20000);
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < p.records; ++i) keys.insert(record_key(p, i));
  EXPECT_EQ(keys.size(), p.records);
  const auto k = record_key(p, 0);
  ASSERT_EQ(k.size(), 36u);
  EXPECT_EQ(k[8], '-');
  EXPECT_EQ(k[13], '-');
  EXPECT_EQ(k[18], '-');
  EXPECT_EQ(k[23], '-');
}

TEST(DataTest, ConversationsHaveTheSpecShapeAndAbout2To4KB) {
  const auto p = params(JobKind::kConversations, 200);
  simdjson::dom::parser parser;
  std::size_t total = 0;
  for (std::uint64_t i = 0; i < p.records; ++i) {
    const auto text = record(p, i);
    total += text.size();
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
    std::string_view id;
    ASSERT_EQ(doc["conversationId"].get(id), simdjson::SUCCESS);
    EXPECT_EQ(id, record_key(p, i));
    for (const char* f : {"conversationStart", "conversationEnd", "originatingDirection"}) {
      EXPECT_TRUE(doc[f].is_string()) << f;
    }
    simdjson::dom::array participants;
    ASSERT_EQ(doc["participants"].get(participants), simdjson::SUCCESS);
    EXPECT_GE(participants.size(), 2u);
    for (auto participant : participants) {
      simdjson::dom::array sessions;
      ASSERT_EQ(participant["sessions"].get(sessions), simdjson::SUCCESS);
      for (auto session : sessions) {
        EXPECT_TRUE(session["segments"].is_array());
        EXPECT_TRUE(session["metrics"].is_array());
        EXPECT_TRUE(session["mediaType"].is_string());
      }
    }
  }
  const auto average = total / p.records;
  EXPECT_GE(average, 2000u);
  EXPECT_LE(average, 4096u);
}

TEST(DataTest, UserDetailsAndBulkRecordsHaveTheirKeys) {
  simdjson::dom::parser parser;
  const auto users = params(JobKind::kUsers);
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(record(users, 5)).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["userId"]), record_key(users, 5));
  EXPECT_TRUE(doc["primaryPresence"].is_array());
  EXPECT_TRUE(doc["routingStatus"].is_array());
  const auto bulk = params(JobKind::kBulk);
  ASSERT_EQ(parser.parse(record(bulk, 5)).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["id"]), record_key(bulk, 5));
}

TEST(DataTest, SomeStringsHoldUnusualButValidUnicode) {
  const auto p = params(JobKind::kConversations, 50);
  std::string all;
  append_records(all, p, 0, p.records);
  bool non_ascii = false;
  for (unsigned char c : all) non_ascii = non_ascii || c >= 0x80;
  EXPECT_TRUE(non_ascii);
  EXPECT_TRUE(simdjson::validate_utf8(all.data(), all.size()));
}

TEST(DataTest, RecordBytesPadsEachRecordExactly) {
  auto p = params(JobKind::kBulk);
  p.record_bytes = 5000;
  for (std::uint64_t i = 0; i < 20; ++i) EXPECT_EQ(record(p, i).size(), 5000u);
  p.kind = JobKind::kConversations;
  p.record_bytes = 20000;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const auto text = record(p, 1);
  EXPECT_EQ(text.size(), 20000u);
  EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
}

TEST(DataTest, ChunksAreJsonArraysOfTheirRecords) {
  const auto p = params(JobKind::kBulk, 25);
  ASSERT_EQ(chunk_count(p), 3u);
  EXPECT_EQ(chunk_record_count(p, 2), 5u);
  simdjson::dom::parser parser;
  std::set<std::string> ids;
  for (std::uint64_t c = 0; c < chunk_count(p); ++c) {
    simdjson::dom::array arr;
    ASSERT_EQ(parser.parse(render_chunk(p, c)).get(arr), simdjson::SUCCESS);
    for (auto rec : arr) ids.insert(std::string(std::string_view(rec["id"])));
  }
  std::set<std::string> expected;
  for (std::uint64_t i = 0; i < p.records; ++i) expected.insert(record_key(p, i));
  EXPECT_EQ(ids, expected);
}

TEST(DataTest, HugeChunkMakesChunkZeroAboutThatBig) {
  auto p = params(JobKind::kBulk, 30);
  p.huge_chunk_bytes = 1 << 20;
  const auto body = render_chunk(p, 0);
  EXPECT_GE(body.size(), (1u << 20) - 100);
  EXPECT_LE(body.size(), (1u << 20) + 100);
  EXPECT_LT(render_chunk(p, 1).size(), 100000u);
}

TEST(DataTest, CountedFlawsTakeConsecutiveRecordsKindAfterKind) {
  auto p = params(JobKind::kBulk, 40);
  p.malformed_record.count = 1;  // record 0
  p.invalid_utf8.count = 2;      // records 1 and 2
  p.nul_escape.count = 2;        // records 3 and 4
  const std::vector<Flaw> expected = {Flaw::kMalformed, Flaw::kInvalidUtf8, Flaw::kInvalidUtf8,
                                      Flaw::kNulEscape, Flaw::kNulEscape,   Flaw::kNone};
  for (std::uint64_t i = 0; i < expected.size(); ++i) EXPECT_EQ(flaw_of(p, i), expected[i]) << "record " << i;

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_NE(parser.parse(record(p, 0)).get(doc), simdjson::SUCCESS);
  const auto bad = record(p, 1);
  EXPECT_FALSE(simdjson::validate_utf8(bad.data(), bad.size()));
  EXPECT_NE(bad.find(record_key(p, 1)), std::string::npos);  // a flawed record keeps its key
  ASSERT_EQ(parser.parse(record(p, 3)).get(doc), simdjson::SUCCESS);
  EXPECT_NE(std::string_view(doc["note"]).find('\0'), std::string_view::npos);
}

TEST(DataTest, ProbabilisticFlawsAreDeterministic) {
  auto p = params(JobKind::kBulk, 2000);
  p.malformed_record.probability = 0.1;
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i < p.records; ++i) {
    EXPECT_EQ(flaw_of(p, i), flaw_of(p, i));
    n += flaw_of(p, i) == Flaw::kMalformed;
  }
  EXPECT_GT(n, 120u);
  EXPECT_LT(n, 280u);
}

TEST(DataTest, ParsesJobTypes) {
  std::string bulk;
  EXPECT_EQ(*parse_job_type("conversations", &bulk), JobKind::kConversations);
  EXPECT_EQ(*parse_job_type("users", &bulk), JobKind::kUsers);
  EXPECT_EQ(*parse_job_type("bulk:interactions", &bulk), JobKind::kBulk);
  EXPECT_EQ(bulk, "interactions");
  EXPECT_FALSE(parse_job_type("bulk:nope", &bulk).ok());
  EXPECT_FALSE(parse_job_type("calls", &bulk).ok());
}

}  // namespace
}  // namespace gb::simulator
