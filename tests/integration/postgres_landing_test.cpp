// PostgresSink landing chunks into a private PostgreSQL 15: the exact set,
// nothing twice, what jsonb refuses kept raw in the quarantine, a server
// restarted mid-landing, racing and concurrent landings. Every landing design
// and COPY format of PostgresSettings is run through the same tests; what
// landed is read back through plain libpq.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <tuple>

#include "postgres_test_support.hpp"

namespace gb::sinks {
namespace {

using pgtest::keys_of;
using pgtest::make_batches;
using pgtest::open_sink;
using pgtest::Reader;
using pgtest::sorted;
using pgtest::VectorSource;
using records::Quarantined;
using records::Record;
using records::RecordBatch;

using Param = std::tuple<PostgresLandingMode, PostgresCopyFormat>;

class PostgresLanding : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (!fixtures::PostgresServer::available()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    url_ = pgtest::fresh_database();
    sink_ = open();
  }
  std::unique_ptr<PostgresSink> open(int pool_size = 4) const {
    return open_sink(url_, pool_size, std::get<0>(GetParam()), std::get<1>(GetParam()));
  }
  std::string url_;
  std::unique_ptr<PostgresSink> sink_;
};

TEST_P(PostgresLanding, LandsTheExactSetAndLandingAgainChangesNothing) {
  auto batches = make_batches("c1", 0, 250, 64, 3000);
  // Unusual but valid UTF-8, escapes and a surrogate pair survive as JSON.
  batches[1].records[2].raw = "{\"id\":\"c1-key-66\",\"t\":\"\xF0\x9F\x98\x80 caf\xC3\xA9 \\ud83d\\ude00 \\n\"}";
  std::uint64_t bytes = 0;
  for (const auto& b : batches)
    for (const auto& r : b.records) bytes += r.raw.size();
  const ChunkRef chunk{"job-1", "c1", "conversations"};
  VectorSource source(batches);
  auto landed = sink_->land(chunk, source, 2, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_FALSE(landed->already_landed);
  EXPECT_EQ(landed->records, 250u);
  EXPECT_EQ(landed->quarantined, 0u);
  EXPECT_EQ(landed->bytes, bytes);

  Reader r(url_);
  EXPECT_EQ(r.keys("job-1"), sorted(keys_of(batches)));
  EXPECT_EQ(r.count("SELECT count(DISTINCT ordinal) FROM records WHERE chunk_id = 'c1'"), 250);
  // jsonb keeps the values: what a user's query sees.
  EXPECT_EQ(r.one("SELECT payload->>'t' FROM records WHERE ordinal = 66"),
            "\xF0\x9F\x98\x80 caf\xC3\xA9 \xF0\x9F\x98\x80 \n");
  EXPECT_EQ(r.one("SELECT payload->>'text' FROM records WHERE ordinal = 7"), "tab\t quote\" back\\slash");
  EXPECT_EQ(r.one("SELECT (payload->>'n')::int FROM records WHERE ordinal = 249"), "249");
  EXPECT_EQ(r.rows("SELECT state, records, quarantined, bytes, attempts FROM chunks"),
            (std::vector<std::vector<std::string>>{{"landed", "250", "0", std::to_string(bytes), "2"}}));

  // A redelivery, possibly with different content: not read at all.
  VectorSource again(make_batches("c1", 1000, 5, 5));
  auto second = sink_->land(chunk, again, 4, std::nullopt);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->already_landed);
  EXPECT_EQ(again.calls(), 0);
  EXPECT_EQ(r.keys("job-1"), sorted(keys_of(batches)));
  EXPECT_EQ(r.one("SELECT attempts FROM chunks"), "2");

  auto read = sink_->read_landed_keys("job-1");
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(sorted(read->keys), sorted(keys_of(batches)));
  EXPECT_EQ(read->quarantined, 0u);
}

TEST_P(PostgresLanding, WhatJsonbRefusesIsQuarantinedRawAndTheChunkLands) {
  auto batches = make_batches("c1", 0, 20, 8);
  const std::string nul_escape = "{\"id\":\"c1-key-3\",\"t\":\"a\\u0000b\"}";
  const std::string bad_utf8 = "{\"id\":\"c1-key-9\",\"t\":\"\xC3\x28\xFF\"}";
  const std::string lone_surrogate = "{\"id\":\"c1-key-10\",\"t\":\"\\ud800 x\"}";
  const std::string control = "{\"id\":\"c1-key-17\",\"t\":\"raw\ttab\"}";
  batches[0].records[3].raw = nul_escape;
  batches[1].records[1].raw = bad_utf8;
  batches[1].records[2].raw = lone_surrogate;
  batches[2].records[1].raw = control;
  // And one the parser quarantined already.
  batches[2].quarantined.push_back(Quarantined{20, "no key field \"id\"", "{\"x\":1}"});
  VectorSource source(batches);
  auto landed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 16u);
  EXPECT_EQ(landed->quarantined, 5u);

  Reader r(url_);
  std::vector<std::string> expected;
  for (const auto& key : keys_of(batches))
    if (key != "c1-key-3" && key != "c1-key-9" && key != "c1-key-10" && key != "c1-key-17") expected.push_back(key);
  EXPECT_EQ(r.keys("job-1"), sorted(expected));
  EXPECT_EQ(r.raw("job-1", "c1", 3), nul_escape);
  EXPECT_EQ(r.raw("job-1", "c1", 9), bad_utf8);
  EXPECT_EQ(r.raw("job-1", "c1", 10), lone_surrogate);
  EXPECT_EQ(r.raw("job-1", "c1", 17), control);
  EXPECT_EQ(r.raw("job-1", "c1", 20), "{\"x\":1}");
  EXPECT_EQ(r.one("SELECT reason FROM quarantine WHERE ordinal = 3"),
            "postgresql jsonb refuses the record: \\u0000 escape (jsonb cannot hold NUL)");
  EXPECT_EQ(r.one("SELECT reason FROM quarantine WHERE ordinal = 9"),
            "postgresql jsonb refuses the record: invalid UTF-8");
  EXPECT_EQ(r.one("SELECT reason FROM quarantine WHERE ordinal = 20"), "no key field \"id\"");
  EXPECT_EQ(r.rows("SELECT records, quarantined FROM chunks"), (std::vector<std::vector<std::string>>{{"16", "5"}}));
  EXPECT_EQ(sink_->read_landed_keys("job-1")->quarantined, 5u);
}

// Records the parser left to the store (Record::left_to_store) go out
// unchecked; when jsonb refuses one, the chunk lands again from its rewound
// source with every record checked, and each refused one is quarantined with
// the same reason as if it had been checked first.
TEST_P(PostgresLanding, WhatJsonbRefusesOfRecordsLeftToItIsQuarantinedToo) {
  auto batches = make_batches("c1", 0, 20, 8);
  for (auto& b : batches)
    for (auto& rec : b.records) rec.left_to_store = true;
  const std::string nul_escape = "{\"id\":\"c1-key-3\",\"t\":\"a\\u0000b\"}";
  const std::string no_value = "{\"id\":\"c1-key-9\",\"n\":[1,,2]}";
  const std::string too_large = "{\"id\":\"c1-key-10\",\"n\":1e999999}";
  const std::string large_enough = "{\"id\":\"c1-key-11\",\"n\":1e999}";  // numeric holds it
  batches[0].records[3].raw = nul_escape;
  batches[1].records[1].raw = no_value;
  batches[1].records[2].raw = too_large;
  batches[1].records[3].raw = large_enough;
  VectorSource source(batches);
  source.allow_rewind();
  auto landed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(source.rewinds(), 1);
  EXPECT_EQ(landed->records, 17u);
  EXPECT_EQ(landed->quarantined, 3u);

  Reader r(url_);
  std::vector<std::string> expected;
  for (const auto& key : keys_of(batches))
    if (key != "c1-key-3" && key != "c1-key-9" && key != "c1-key-10") expected.push_back(key);
  EXPECT_EQ(r.keys("job-1"), sorted(expected));
  EXPECT_EQ(r.raw("job-1", "c1", 3), nul_escape);
  EXPECT_EQ(r.raw("job-1", "c1", 9), no_value);
  EXPECT_EQ(r.raw("job-1", "c1", 10), too_large);
  EXPECT_EQ(r.one("SELECT reason FROM quarantine WHERE ordinal = 3"),
            "postgresql jsonb refuses the record: \\u0000 escape (jsonb cannot hold NUL)");
  EXPECT_EQ(r.one("SELECT reason FROM quarantine WHERE ordinal = 9").rfind("postgresql jsonb refuses the record: ", 0),
            0u);
  EXPECT_EQ(r.one("SELECT payload->>'n' FROM records WHERE ordinal = 11"), r.one("SELECT 1e999::numeric::text"));
  EXPECT_EQ(r.rows("SELECT records, quarantined FROM chunks"), (std::vector<std::vector<std::string>>{{"17", "3"}}));

  // Nothing refused: landed in one go.
  VectorSource clean(make_batches("c2", 0, 20, 8));
  clean.allow_rewind();
  auto second = sink_->land({"job-1", "c2", "users"}, clean, 1, std::nullopt);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(clean.rewinds(), 0);
  EXPECT_EQ(second->records, 20u);
}

// A source that cannot be read again: the refusal fails the landing, which
// leaves nothing behind, and the chunk is still to land.
TEST_P(PostgresLanding, ARefusedRecordFromASourceReadOnceFailsTheLandingCleanly) {
  auto batches = make_batches("c1", 0, 20, 8);
  for (auto& b : batches)
    for (auto& rec : b.records) rec.left_to_store = true;
  batches[1].records[1].raw = "{\"id\":\"c1-key-9\",\"n\":[1,,2]}";
  VectorSource source(batches);
  auto landed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  ASSERT_FALSE(landed.ok());
  EXPECT_NE(landed.error().message.find("SQLSTATE 22P02"), std::string::npos) << landed.error().describe();
  Reader r(url_);
  EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks WHERE state = 'landed'"), 0);
  auto landed_now = sink_->is_landed({"job-1", "c1", "users"});
  ASSERT_TRUE(landed_now.ok());
  EXPECT_FALSE(*landed_now);
}

// A quarantined record too large to hold (records::LargeBytes) is streamed.
class StringBytes final : public records::LargeBytes {
 public:
  explicit StringBytes(std::string s) : s_(std::move(s)) {}
  std::uint64_t size() const override { return s_.size(); }
  Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const override {
    const std::size_t got = std::min<std::size_t>(n, s_.size() - offset);
    std::copy_n(s_.data() + offset, got, out);
    return got;
  }

 private:
  std::string s_;
};

TEST_P(PostgresLanding, ALargeQuarantinedRecordIsStreamedWhole) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 256);
  RecordBatch b;
  Quarantined q;
  q.ordinal = 0;
  q.reason = "record over the size cap";
  q.large = std::make_shared<StringBytes>(big);
  b.quarantined.push_back(q);
  VectorSource source({b});
  auto landed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->quarantined, 1u);
  EXPECT_EQ(landed->bytes, big.size());
  EXPECT_EQ(Reader(url_).raw("job-1", "c1", 0), big);
}

TEST_P(PostgresLanding, ASourceFailingMidwayLeavesNothingAndTheRetryLands) {
  auto batches = make_batches("c1", 0, 30, 10);
  VectorSource failing(batches, /*fail_at=*/2);
  auto failed = sink_->land({"job-1", "c1", "users"}, failing, 1, std::nullopt);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);
  Reader r(url_);
  EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 0);
  VectorSource good(batches);
  auto landed = sink_->land({"job-1", "c1", "users"}, good, 2, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(r.keys("job-1"), sorted(keys_of(batches)));
}

TEST_P(PostgresLanding, ADuplicateOrdinalFromTheSourceFailsTheWholeChunk) {
  auto batches = make_batches("c1", 0, 20, 10);
  batches[1].records[3].ordinal = 4;  // a buggy source repeating a position
  VectorSource source(batches);
  auto landed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  if (std::get<0>(GetParam()) == PostgresLandingMode::kStaging) {
    // ON CONFLICT DO NOTHING hides it, one record short: one of ADR 0011's
    // reasons against the staging design.
    ASSERT_TRUE(landed.ok()) << landed.error().describe();
    EXPECT_EQ(Reader(url_).count("SELECT count(*) FROM records"), 19);
    return;
  }
  ASSERT_FALSE(landed.ok());
  EXPECT_EQ(landed.error().kind, ErrorKind::kInternal) << landed.error().describe();
  Reader r(url_);
  EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 0);
}

TEST_P(PostgresLanding, TheServerRestartedMidLandingCostsARetryNotARecord) {
  auto batches = make_batches("c1", 0, 400, 50, 500);
  VectorSource source(batches);
  // The server goes away (fast shutdown) and comes back while the chunk's
  // transaction is open, between two batches.
  source.on_batch(3, [] { pgtest::server().restart(); });
  auto failed = sink_->land({"job-1", "c1", "users"}, source, 1, std::nullopt);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient) << failed.error().describe();
  EXPECT_TRUE(pgtest::server().running());
  Reader r(url_);
  EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 0);

  // The same sink: its pool drops the dead connections and connects again.
  VectorSource retry(batches);
  auto landed = sink_->land({"job-1", "c1", "users"}, retry, 2, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 400u);
  EXPECT_EQ(r.keys("job-1"), sorted(keys_of(batches)));
  // The state store's calls work again too.
  EXPECT_EQ(*sink_->landed_chunks("job-1"), std::vector<std::string>{"c1"});
}

TEST_P(PostgresLanding, ARestartBetweenLandingsIsInvisibleAfterOneTransientFailure) {
  VectorSource first(make_batches("c1", 0, 10, 10));
  ASSERT_TRUE(sink_->land({"job-1", "c1", "users"}, first, 1, std::nullopt).ok());
  pgtest::server().restart();
  // The pooled connection is dead; the call that meets it fails transiently
  // or (when libpq already saw the close) connects afresh. Retrying works.
  auto batches = make_batches("c2", 0, 10, 10);
  Result<LandResult> landed = transient_error("not tried");
  for (int attempt = 1; attempt <= 3 && !landed; ++attempt) {
    VectorSource s(batches);
    landed = sink_->land({"job-1", "c2", "users"}, s, attempt, std::nullopt);
    if (!landed) {
      EXPECT_EQ(landed.error().kind, ErrorKind::kTransient) << landed.error().describe();
    }
  }
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(Reader(url_).count("SELECT count(*) FROM records"), 20);
}

TEST_P(PostgresLanding, TwoSinksRacingOnOneChunkLandEachRecordOnce) {
  auto other = open();
  auto batches = make_batches("c1", 0, 300, 30, 1000);
  for (int round = 0; round < 3; ++round) {
    const ChunkRef chunk{"job-" + std::to_string(round), "c1", "users"};
    Result<LandResult> ra = transient_error("not run"), rb = transient_error("not run");
    std::thread ta([&] {
      VectorSource s(batches);
      ra = sink_->land(chunk, s, 1, std::nullopt);
    });
    std::thread tb([&] {
      VectorSource s(batches);
      rb = other->land(chunk, s, 1, std::nullopt);
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra.ok()) << ra.error().describe();
    ASSERT_TRUE(rb.ok()) << rb.error().describe();
    EXPECT_NE(ra->already_landed, rb->already_landed);
    EXPECT_EQ(Reader(url_).keys(chunk.job_id), sorted(keys_of(batches)));
  }
}

TEST_P(PostgresLanding, SeveralChunksLandConcurrentlyEachOnce) {
  constexpr int kThreads = 4;
  constexpr int kChunksPerThread = 6;
  std::atomic<int> landed{0}, skipped{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread lands its own chunks, then tries its neighbour's (a redelivery).
      for (int pass = 0; pass < 2; ++pass) {
        const int owner = (t + pass) % kThreads;
        for (int c = 0; c < kChunksPerThread; ++c) {
          const std::string chunk = "t" + std::to_string(owner) + "c" + std::to_string(c);
          VectorSource s(make_batches(chunk, 0, 40, 16, 200));
          auto r = sink_->land({"job-1", chunk, "users"}, s, 1, std::nullopt);
          if (!r) {
            ++failed;
          } else if (r->already_landed) {
            ++skipped;
          } else {
            ++landed;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(landed.load(), kThreads * kChunksPerThread);
  EXPECT_EQ(skipped.load(), kThreads * kChunksPerThread);
  std::vector<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kChunksPerThread; ++c) {
      const std::string chunk = "t" + std::to_string(t) + "c" + std::to_string(c);
      auto keys = keys_of(make_batches(chunk, 0, 40, 16));
      expected.insert(expected.end(), keys.begin(), keys.end());
    }
  }
  EXPECT_EQ(Reader(url_).keys("job-1"), sorted(expected));
  EXPECT_EQ(sink_->landed_chunks("job-1")->size(), static_cast<std::size_t>(kThreads * kChunksPerThread));
  EXPECT_EQ(sink_->max_concurrent_landings(), 4);
}

TEST_P(PostgresLanding, AChunkWithNoRecordsLands) {
  VectorSource empty({});
  auto landed = sink_->land({"job-1", "000007", "users"}, empty, 1, std::string(""));
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 0u);
  EXPECT_EQ(*sink_->landed_chunks("job-1"), std::vector<std::string>{"000007"});
}

INSTANTIATE_TEST_SUITE_P(Designs, PostgresLanding,
                         ::testing::Values(Param{PostgresLandingMode::kLedgerFirst, PostgresCopyFormat::kBinary},
                                           Param{PostgresLandingMode::kLedgerFirst, PostgresCopyFormat::kText},
                                           Param{PostgresLandingMode::kStaging, PostgresCopyFormat::kBinary}),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == PostgresLandingMode::kLedgerFirst
                                                  ? "LedgerFirst"
                                                  : "Staging") +
                                  (std::get<1>(info.param) == PostgresCopyFormat::kBinary ? "Binary" : "Text");
                         });

}  // namespace
}  // namespace gb::sinks
