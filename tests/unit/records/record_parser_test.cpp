#include "records/record_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gb::records {
namespace {

struct Outcome {
  bool landed = false;
  bool plain = false;
  std::string key;
  std::string reason;
  std::string raw;
  std::uint64_t ordinal = 0;
};

Outcome parse(std::string_view raw, KeyField field = KeyField::kId, std::uint64_t ordinal = 0) {
  RecordParser parser(field, /*mark_plain_json=*/true);
  RecordBatch batch;
  parser.parse(raw, ordinal, batch);
  EXPECT_EQ(batch.records.size() + batch.quarantined.size(), 1u);
  EXPECT_EQ(batch.raw_bytes, raw.size());
  Outcome out;
  if (!batch.records.empty()) {
    out.landed = true;
    out.plain = batch.records[0].plain_json;
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

// What a store may land unchecked (record_parser.hpp), and what it must check.
TEST(RecordParser, MarksPlainJsonOnlyWhereNoStoreCanRefuseIt) {
  EXPECT_TRUE(parse(R"({"id":"k","n":[1,-2,0,1.5e-300,"x\"y\u00e9"],"o":{"t":true,"f":null}})").plain);
  EXPECT_TRUE(parse(R"({"id":"k","s":"\\u0000 is text here"})").plain);  // an escaped backslash, no NUL

  EXPECT_FALSE(parse(R"({"id":"k","note":"a\u0000b"})").plain);
  EXPECT_FALSE(parse(R"({"id":"k","a\u0000b":1})").plain);  // in a key
  EXPECT_FALSE(parse(R"({"id":"k","t":0e-99999})").plain);  // a scale no numeric holds
  EXPECT_FALSE(parse(R"({"id":"k","t":1e-20000})").plain);  // the same, rounded to zero
  EXPECT_FALSE(parse(R"({"id":"k","t":0.0})").plain);       // zero doubles are checked, whatever they hide
  EXPECT_FALSE(parse(R"({"id":"k","t":-0.0})").plain);

  const std::string large = R"({"id":"k","pad":")" + std::string(kMaxPlainBytes, 'x') + R"("})";
  const auto out = parse(large);
  ASSERT_TRUE(out.landed) << out.reason;
  EXPECT_FALSE(out.plain);

  // The root is at depth 0: here 1 sits at kMaxPlainDepth, then one deeper.
  const std::string deepest = std::string(kMaxPlainDepth, '[') + "1" + std::string(kMaxPlainDepth, ']');
  EXPECT_TRUE(is_plain_json(deepest));
  EXPECT_FALSE(is_plain_json("[" + deepest + "]"));

  EXPECT_FALSE(is_plain_json(R"({"a":1)"));  // not JSON
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
