#include "records/chunk_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "json_gen.hpp"

namespace gb::records {
namespace {

using testing::JsonGen;

struct Collected {
  std::vector<std::size_t> batch_sizes;
  std::vector<Record> records;
  std::vector<Quarantined> quarantined;
};

ChunkParser::BatchFn collect(Collected& c) {
  return [&c](RecordBatch& batch) {
    c.batch_sizes.push_back(batch.records.size() + batch.quarantined.size());
    for (auto& r : batch.records) c.records.push_back(std::move(r));
    for (auto& q : batch.quarantined) c.quarantined.push_back(std::move(q));
    return ok_status();
  };
}

// A chunk of n records where every 7th is broken in a rotating way.
std::string make_chunk(int n, std::vector<std::string>* good_keys, std::map<std::uint64_t, std::string>* bad) {
  std::string body = "[\n";
  for (int i = 0; i < n; ++i) {
    if (i) body += ",\n";
    const std::string key = "id-" + std::to_string(i);
    std::string rec;
    if (i % 7 == 3) {
      switch ((i / 7) % 3) {
        case 0: rec = "{\"id\":\"" + key + "\",\"s\":\"\xff\"}"; break;
        case 1: rec = "{\"id\":\"" + key + "\",}"; break;
        default: rec = "{\"other\":\"" + key + "\"}"; break;
      }
      (*bad)[static_cast<std::uint64_t>(i)] = rec;
    } else {
      rec = "{\"id\":\"" + key + "\",\"n\":{\"a\":[1,2,{\"b\":\"\\\"]\\\\\"}]},\"z\":\"\\u0000\"}";
      good_keys->push_back(key);
    }
    body += rec;
  }
  return body + "\n]\n";
}

TEST(ChunkParser, LandsEveryElementOnceInOrderWithOrdinals) {
  std::vector<std::string> good;
  std::map<std::uint64_t, std::string> bad;
  const std::string body = make_chunk(500, &good, &bad);
  JsonGen gen(3);
  for (std::size_t slice : {std::size_t{1}, std::size_t{13}, std::size_t{64}, std::size_t{4096}, body.size()}) {
    Collected c;
    ChunkParserSettings settings;
    settings.batch_records = 64;
    settings.first_ordinal = 1000;
    ChunkParser parser(settings, collect(c));
    for (std::size_t at = 0; at < body.size(); at += slice)
      ASSERT_TRUE(parser.feed(std::string_view(body).substr(at, slice)).ok());
    ASSERT_TRUE(parser.finish().ok());
    ASSERT_EQ(c.records.size(), good.size());
    ASSERT_EQ(c.quarantined.size(), bad.size());
    EXPECT_EQ(parser.records(), good.size());
    EXPECT_EQ(parser.quarantined(), bad.size());
    std::set<std::uint64_t> ordinals;
    for (std::size_t i = 0; i < c.records.size(); ++i) {
      EXPECT_EQ(c.records[i].key, good[i]);
      EXPECT_EQ(c.records[i].ordinal, 1000 + std::stoull(good[i].substr(3)));
      ordinals.insert(c.records[i].ordinal);
    }
    for (const auto& q : c.quarantined) {
      ASSERT_TRUE(bad.count(q.ordinal - 1000)) << q.ordinal;
      EXPECT_EQ(q.raw, bad[q.ordinal - 1000]);
      EXPECT_FALSE(q.reason.empty());
      ordinals.insert(q.ordinal);
    }
    EXPECT_EQ(ordinals.size(), 500u);  // nothing lost, nothing twice
    EXPECT_EQ(*ordinals.begin(), 1000u);
    EXPECT_EQ(*ordinals.rbegin(), 1499u);
    for (std::size_t i = 0; i + 1 < c.batch_sizes.size(); ++i) EXPECT_EQ(c.batch_sizes[i], 64u);
    EXPECT_EQ(c.batch_sizes.back(), 500u % 64u);
  }
}

TEST(ChunkParser, FlushesOnTheByteThreshold) {
  std::string body = "[";
  for (int i = 0; i < 10; ++i)
    body +=
        std::string(i ? "," : "") + "{\"id\":\"k" + std::to_string(i) + "\",\"p\":\"" + std::string(80, 'x') + "\"}";
  body += "]";
  const std::size_t record_size = std::string("{\"id\":\"k0\",\"p\":\"\"}").size() + 80;
  Collected c;
  ChunkParserSettings settings;
  settings.batch_records = 1000;
  settings.batch_bytes = 3 * record_size;  // reached at the third record
  ChunkParser parser(settings, collect(c));
  ASSERT_TRUE(parser.feed(body).ok());
  ASSERT_TRUE(parser.finish().ok());
  EXPECT_EQ(c.batch_sizes, (std::vector<std::size_t>{3, 3, 3, 1}));
}

TEST(ChunkParser, EmptyChunkHandsOverNothing) {
  Collected c;
  ChunkParser parser({}, collect(c));
  ASSERT_TRUE(parser.feed(" [ ] ").ok());
  ASSERT_TRUE(parser.finish().ok());
  EXPECT_TRUE(c.batch_sizes.empty());
}

TEST(ChunkParser, TruncatedOrNotJsonBodiesAreTransientErrors) {
  std::vector<std::string> good;
  std::map<std::uint64_t, std::string> bad;
  const std::string body = make_chunk(20, &good, &bad);
  {
    Collected c;
    ChunkParser parser({}, collect(c));
    ASSERT_TRUE(parser.feed(std::string_view(body).substr(0, body.size() / 2)).ok());
    const Status s = parser.finish();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::kTransient);
    EXPECT_EQ(s.error().message.rfind("truncated", 0), 0u) << s.error().message;
  }
  for (const char* not_json : {"<html>502 Bad Gateway</html>", "{\"error\":1}", ""}) {
    Collected c;
    ChunkParser parser({}, collect(c));
    Status s = parser.feed(not_json);
    if (s.ok()) s = parser.finish();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::kTransient);
    EXPECT_EQ(s.error().message.rfind("not JSON", 0), 0u) << s.error().message;
  }
}

TEST(ChunkParser, BatchCallbackErrorIsReturned) {
  ChunkParserSettings settings;
  settings.batch_records = 1;
  ChunkParser parser(settings, [](RecordBatch&) -> Status { return internal_error("store is read-only"); });
  const Status s = parser.feed(R"([{"id":"a"},{"id":"b"}])");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "store is read-only");
}

TEST(ChunkParser, RandomChunksLandEveryRecord) {
  JsonGen gen(17);
  for (int doc = 0; doc < 50; ++doc) {
    std::vector<std::string> elements;
    const std::string body = gen.array(gen.pick(40), true, &elements);
    Collected c;
    ChunkParserSettings settings;
    settings.batch_records = 1 + static_cast<std::size_t>(gen.pick(10));
    ChunkParser parser(settings, collect(c));
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t n = 1 + static_cast<std::size_t>(gen.pick(200));
      ASSERT_TRUE(parser.feed(std::string_view(body).substr(at, n)).ok());
      at += n;
    }
    ASSERT_TRUE(parser.finish().ok());
    ASSERT_EQ(c.records.size(), elements.size()) << body;
    EXPECT_TRUE(c.quarantined.empty());
    for (std::size_t i = 0; i < elements.size(); ++i) {
      EXPECT_EQ(c.records[i].raw, elements[i]);
      EXPECT_EQ(c.records[i].ordinal, i);
    }
  }
}

TEST(ChunkParser, FiftyMegabyteChunkInBoundedBatches) {
  const std::string pad(5000, 'p');
  std::string body = "[";
  constexpr std::size_t kRecords = 10'000;  // about 50 MB
  for (std::size_t i = 0; i < kRecords; ++i) {
    body += (i ? ",\n" : "") + std::string("{\"id\":\"r") + std::to_string(i) + "\",\"pad\":\"" + pad + "\"}";
  }
  body += "]";
  ChunkParserSettings settings;
  settings.batch_bytes = 1u << 20;
  std::vector<bool> seen(kRecords, false);
  std::uint64_t largest_batch = 0;
  ChunkParser parser(settings, [&](RecordBatch& batch) {
    largest_batch = std::max(largest_batch, batch.raw_bytes);
    for (const auto& r : batch.records) {
      const auto i = std::stoull(r.key.substr(1));
      EXPECT_FALSE(seen[i]) << r.key;
      EXPECT_EQ(r.ordinal, i);
      seen[i] = true;
    }
    EXPECT_TRUE(batch.quarantined.empty());
    return ok_status();
  });
  std::size_t max_buffered = 0;
  for (std::size_t at = 0; at < body.size(); at += 16384) {
    ASSERT_TRUE(parser.feed(std::string_view(body).substr(at, 16384)).ok());
    max_buffered = std::max(max_buffered, parser.buffered_bytes());
  }
  ASSERT_TRUE(parser.finish().ok());
  EXPECT_EQ(parser.records(), kRecords);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), static_cast<std::ptrdiff_t>(kRecords));
  EXPECT_LT(largest_batch, settings.batch_bytes + 6000);  // a batch closes on the record that reaches the limit
  EXPECT_LT(max_buffered, 16u * 1024);
}

// Only a store that judges JSON itself (sinks::Landing::judges_json) has
// records left to it.
TEST(ChunkParser, LeavesJsonToTheStoreOnlyWhenAsked) {
  const std::string body = R"([{"id":"a","n":1},{"id":"b","n":[1,,2]}])";
  for (const bool leave : {false, true}) {
    Collected c;
    ChunkParserSettings settings;
    settings.leave_json_to_store = leave;
    ChunkParser parser(settings, collect(c));
    ASSERT_TRUE(parser.feed(body).ok());
    ASSERT_TRUE(parser.finish().ok());
    ASSERT_EQ(c.records.size(), leave ? 2u : 1u);
    for (const auto& r : c.records) EXPECT_EQ(r.left_to_store, leave);
    EXPECT_EQ(c.quarantined.size(), leave ? 0u : 1u);

    const auto page = parse_page(R"({"users":[{"id":"a"}]})", "users", KeyField::kId, 0, leave);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->records.size(), 1u);
    EXPECT_EQ(page->records[0].left_to_store, leave);
  }
}

TEST(ParsePage, ReturnsTheRecordsOfTheResultsArray) {
  const std::string page =
      std::string(R"({"conversations":[{"conversationId":"c1","participants":[{"userId":"u"}]},)") +
      "{\"conversationId\":\"c2\",\"bad\":\"\xc0\xaf\"},{\"conversationId\":\"c3\"}]," +
      R"("cursor":"next-1","dataAvailabilityDate":"2026-11-01T00:00:00Z"})";
  const auto batch = parse_page(page, "conversations", KeyField::kConversationId, 200);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->records.size(), 2u);
  EXPECT_EQ(batch->records[0].key, "c1");
  EXPECT_EQ(batch->records[0].ordinal, 200u);
  EXPECT_EQ(batch->records[1].key, "c3");
  EXPECT_EQ(batch->records[1].ordinal, 202u);
  ASSERT_EQ(batch->quarantined.size(), 1u);
  EXPECT_EQ(batch->quarantined[0].ordinal, 201u);
  EXPECT_EQ(batch->quarantined[0].reason, "invalid UTF-8");
}

TEST(ParsePage, UserDetailsAndEmptyPages) {
  const auto users =
      parse_page(R"({"userDetails":[{"userId":"u1"},{"userId":"u2"}]})", "userDetails", KeyField::kUserId, 0);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->records.size(), 2u);
  const auto empty = parse_page(R"({"dataAvailabilityDate":"x"})", "userDetails", KeyField::kUserId, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  const auto truncated = parse_page(R"({"userDetails":[{"userId":"u1"})", "userDetails", KeyField::kUserId, 0);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().kind, ErrorKind::kTransient);
}

}  // namespace
}  // namespace gb::records
