#include "records/record_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gb::records {
namespace {

struct Outcome {
  bool landed = false;
  bool left_to_store = false;
  std::string key;
  std::string reason;
  std::string raw;
  std::uint64_t ordinal = 0;
};

Outcome parse(std::string_view raw, KeyField field = KeyField::kId, std::uint64_t ordinal = 0,
              bool leave_json_to_store = false) {
  RecordParser parser(field, leave_json_to_store);
  RecordBatch batch;
  parser.parse(raw, ordinal, batch);
  EXPECT_EQ(batch.records.size() + batch.quarantined.size(), 1u);
  EXPECT_EQ(batch.raw_bytes, raw.size());
  Outcome out;
  if (!batch.records.empty()) {
    out.landed = true;
    out.left_to_store = batch.records[0].left_to_store;
    out.key = batch.records[0].key;
    out.raw = batch.records[0].raw;
    out.ordinal = batch.records[0].ordinal;
  } else {
    out.reason = batch.quarantined[0].reason;
    out.raw = batch.quarantined[0].raw;
    out.ordinal = batch.quarantined[0].ordinal;
  }
  return out;
}

TEST(RecordParser, ExtractsTheKeyForEachKeyField) {
  const std::string raw = R"({"id":"i-1", "userId" : "u-2","conversationId":"c-3","n":{"id":"nested"}})";
  EXPECT_EQ(parse(raw, KeyField::kId).key, "i-1");
  EXPECT_EQ(parse(raw, KeyField::kUserId).key, "u-2");
  EXPECT_EQ(parse(raw, KeyField::kConversationId).key, "c-3");
  EXPECT_EQ(parse(raw).raw, raw);
}

TEST(RecordParser, KeepsOrdinalAndRawBytesExactly) {
  const std::string raw = "{ \"id\" : \"a\\u00e9\" ,\n \"x\":1.50e+2 }";
  const auto out = parse(raw, KeyField::kId, 4711);
  ASSERT_TRUE(out.landed) << out.reason;
  EXPECT_EQ(out.ordinal, 4711u);
  EXPECT_EQ(out.raw, raw);
  EXPECT_EQ(out.key, "a\xc3\xa9");  // the key is unescaped; the raw is not
}

TEST(RecordParser, NulEscapeInAValueLandsUnchanged) {
  const std::string raw = R"({"id":"k","note":"a\u0000b"})";
  const auto out = parse(raw);
  ASSERT_TRUE(out.landed) << out.reason;
  EXPECT_EQ(out.raw, raw);
  EXPECT_EQ(out.key, "k");
}

Outcome parse_key_only(std::string_view raw, KeyField field = KeyField::kId) {
  return parse(raw, field, 0, /*leave_json_to_store=*/true);
}

// For a store that judges JSON itself: the key and the UTF-8 are checked,
// the rest is left to the store, and what is quarantined gets the reason
// the full check gives.
TEST(RecordParser, LeftToTheStoreOnlyTheKeyAndTheUtf8AreChecked) {
  const std::string good = R"({"n":[1,{"id":"inner"}],"id":"a\"b","x":1.5e+2})";
  const auto out = parse_key_only(good);
  ASSERT_TRUE(out.landed) << out.reason;
  EXPECT_TRUE(out.left_to_store);
  EXPECT_EQ(out.key, "a\"b");
  EXPECT_EQ(out.raw, good);
  EXPECT_EQ(parse_key_only(good, KeyField::kConversationId).reason, "no key field \"conversationId\"");
  EXPECT_FALSE(parse(good).left_to_store);  // the full check leaves nothing to the store

  // Values not read on the way to the key, or after it: the store's to refuse.
  for (const char* raw : {R"({"id":"a","n":[1,,2]})", R"({"n":[1,,2],"id":"a"})", R"({"id":"a","n":01})",
                          R"({"id":"a","s":"a\u0000b"})", R"({"id":"a","n":1e999})"}) {
    const auto left = parse_key_only(raw);
    EXPECT_TRUE(left.landed && left.left_to_store) << raw;
  }
  // Invalid UTF-8 anywhere, JSON too malformed to find the key in and bad
  // keys are quarantined with the full check's reason.
  for (const std::string& raw :
       {std::string("{\"id\":\"a\",\"s\":\"\xff\xfe\"}"), std::string("{\"id\":\"a\",\"s\":\"\xed\xa0\x80\"}"),
        std::string(R"({id:"a"})"), std::string(R"({"id":"a"} x)"), std::string("[1]"), std::string(R"({"x":1})"),
        std::string(R"({"id":12})"), std::string(R"({"id":""})"), std::string(R"({"id":"a\u0000b"})"),
        std::string(R"({"id":"a\nb"})"), "{\"id\":\"" + std::string(kMaxKeyBytes + 1, 'k') + "\"}"}) {
    const auto full = parse(raw);
    const auto left = parse_key_only(raw);
    ASSERT_FALSE(full.landed) << raw;
    EXPECT_FALSE(left.landed) << raw;
    EXPECT_EQ(left.reason, full.reason) << raw;
    EXPECT_EQ(left.raw, raw);
  }
}

TEST(RecordParser, UnusualValidUnicodeLands) {
  const std::string raw =
      "{\"id\":\"\xe4\xb8\xad\xe6\x96\x87-\xd7\xa2\xd7\x91-\xf0\x9f\x98\x80\",\"s\":\"\\ud83d\\ude00\xef\xbb\xbf\"}";
  const auto out = parse(raw);
  ASSERT_TRUE(out.landed) << out.reason;
  EXPECT_EQ(out.key, "\xe4\xb8\xad\xe6\x96\x87-\xd7\xa2\xd7\x91-\xf0\x9f\x98\x80");
}

TEST(RecordParser, InvalidUtf8IsQuarantinedWithItsRawBytes) {
  for (const std::string& raw : {std::string("{\"id\":\"a\",\"s\":\"\xff\xfe\"}"), std::string("{\"id\":\"\xc3\x28\"}"),
                                 std::string("{\"id\":\"a\",\"s\":\"\xed\xa0\x80\"}")}) {
    const auto out = parse(raw);
    EXPECT_FALSE(out.landed);
    EXPECT_EQ(out.reason, "invalid UTF-8");
    EXPECT_EQ(out.raw, raw);
  }
}

TEST(RecordParser, MalformedJsonIsQuarantined) {
  for (const char* raw : {R"({"id":"a",})", R"({"id":"a")", R"({"id":"a"} x)", R"({"id":"a"}{"id":"b"})", R"({id:"a"})",
                          R"({"id":"a","s":"tab	inside"})", R"({"id":"a","n":01})", "{\"id\":\"a\"} ]"}) {
    const auto out = parse(raw);
    EXPECT_FALSE(out.landed) << raw;
    EXPECT_EQ(out.reason.rfind("malformed JSON: ", 0), 0u) << raw << " -> " << out.reason;
    EXPECT_EQ(out.raw, raw);
  }
}

TEST(RecordParser, NonObjectsAreQuarantined) {
  for (const char* raw : {"[1,2]", "\"id\"", "42", "null", "true"}) {
    const auto out = parse(raw);
    EXPECT_FALSE(out.landed) << raw;
    EXPECT_EQ(out.reason, "not a JSON object") << raw;
  }
}

TEST(RecordParser, BadKeysAreQuarantinedWithAClearReason) {
  EXPECT_EQ(parse(R"({"userId":"u"})", KeyField::kId).reason, "no key field \"id\"");
  EXPECT_EQ(parse(R"({"id":"u"})", KeyField::kConversationId).reason, "no key field \"conversationId\"");
  EXPECT_EQ(parse(R"({"x":{"userId":"u"}})", KeyField::kUserId).reason, "no key field \"userId\"");
  EXPECT_EQ(parse(R"({"id":12})").reason, "key field \"id\" is not a string");
  EXPECT_EQ(parse(R"({"id":null})").reason, "key field \"id\" is not a string");
  EXPECT_EQ(parse(R"({"id":""})").reason, "key field \"id\" is empty");
  EXPECT_EQ(parse(R"({"id":"a\u0000b"})").reason, "key field \"id\" contains control characters");
  EXPECT_EQ(parse(R"({"id":"a\nb"})").reason, "key field \"id\" contains control characters");
  EXPECT_EQ(parse("{\"id\":\"" + std::string(kMaxKeyBytes + 1, 'k') + "\"}").reason,
            "key field \"id\" is longer than 256 bytes");
  EXPECT_TRUE(parse("{\"id\":\"" + std::string(kMaxKeyBytes, 'k') + "\"}").landed);
}

TEST(RecordParser, ReusesItsBuffersAcrossRecordsOfAnySize) {
  RecordParser parser(KeyField::kId);
  RecordBatch batch;
  for (int i = 0; i < 50; ++i) {
    const std::string raw =
        "{\"id\":\"r" + std::to_string(i) + "\",\"pad\":\"" + std::string((i * 7919) % 5000, 'p') + "\"}";
    parser.parse(raw, static_cast<std::uint64_t>(i), batch);
    if (i % 10 == 3) parser.parse("{\"id\":", static_cast<std::uint64_t>(i), batch);
  }
  ASSERT_EQ(batch.records.size(), 50u);
  EXPECT_EQ(batch.quarantined.size(), 5u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(batch.records[static_cast<std::size_t>(i)].key, "r" + std::to_string(i));
}

}  // namespace
}  // namespace gb::records
