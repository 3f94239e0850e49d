// The PostgreSQL store's pure parts: what jsonb refuses, COPY's encodings,
// and URL redaction.
#include <gtest/gtest.h>

#include <string>

#include "sinks/postgres/detail/jsonb_check.hpp"
#include "sinks/postgres/detail/pg_copy.hpp"
#include "sinks/postgres/postgres_sink.hpp"

namespace gb::sinks {
namespace {

using detail::pg::jsonb_refusal;

TEST(JsonbRefusal, TakesWhatJsonbTakes) {
  for (const char* ok : {"{}", "[]", " {\"a\": [1, -0, 0.5, 1e10, -2.5E-3, true, false, null, \"x\"]} ",
                         "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"}",
                         "{\"u\":\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC\"}", "\"just a string\"", "12",
                         "{\"deep\":[[[[[[[[[[1]]]]]]]]]]}"}) {
    EXPECT_EQ(jsonb_refusal(ok), std::nullopt) << ok;
  }
}

TEST(JsonbRefusal, RefusesWhatJsonbRefusesWithAReason) {
  EXPECT_EQ(jsonb_refusal("{\"t\":\"a\\u0000b\"}"), "\\u0000 escape (jsonb cannot hold NUL)");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\xC3\x28\"}"), "invalid UTF-8");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\xED\xA0\x80\"}"), "invalid UTF-8");      // an encoded surrogate
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\xC0\xAF\"}"), "invalid UTF-8");          // overlong
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\xF4\x90\x80\x80\"}"), "invalid UTF-8");  // past U+10FFFF
  EXPECT_EQ(jsonb_refusal(std::string("{\"t\":\"a\0b\"}", 11)), "NUL byte in a string");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\\ud800\"}"), "lone high surrogate escape");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\\udc00\"}"), "lone low surrogate escape");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"a\tb\"}"), "unescaped control character in a string");
  EXPECT_EQ(jsonb_refusal("{\"t\":\"\\x\"}"), "invalid escape in a string");
  EXPECT_EQ(jsonb_refusal("{\"t\":01}"), "invalid number (leading zero)");
  EXPECT_EQ(jsonb_refusal("{\"t\":1e200000}"), "number out of numeric's range");
  EXPECT_EQ(jsonb_refusal("{\"t\":1e-20000}"), "number out of numeric's range");
  EXPECT_EQ(jsonb_refusal("{\"t\":1} x"), "content after the JSON value");
  EXPECT_EQ(jsonb_refusal("{\"t\":1"), "truncated JSON");
  EXPECT_EQ(jsonb_refusal("{\"t\":tru}"), "invalid JSON token");
  EXPECT_EQ(jsonb_refusal(""), "truncated JSON");
  EXPECT_EQ(jsonb_refusal(std::string(2000, '[') + std::string(2000, ']')), "nested too deeply");
}

// Strings are scanned 16 bytes at a time: whatever ends a run of plain
// bytes (a quote, an escape, a control character) is found at every offset
// in and across those blocks, after ASCII and multi-byte text alike.
TEST(JsonbRefusal, FindsWhatEndsAStringAtEveryOffset) {
  for (const std::string filler : {"a", "\xC3\xA9"}) {
    for (std::size_t n = 0; n < 40; ++n) {
      std::string text;
      for (std::size_t i = 0; i < n; ++i) text += filler;
      const std::string open = "{\"t\":\"" + text;
      EXPECT_EQ(jsonb_refusal(open + "\"}"), std::nullopt) << n;
      EXPECT_EQ(jsonb_refusal(open + "\\\"x\"}"), std::nullopt) << n;
      EXPECT_EQ(jsonb_refusal(open + "\\u0000\"}"), "\\u0000 escape (jsonb cannot hold NUL)") << n;
      EXPECT_EQ(jsonb_refusal(open + "\x1F\"}"), "unescaped control character in a string") << n;
      EXPECT_EQ(jsonb_refusal(open + std::string(1, '\0') + "\"}"), "NUL byte in a string") << n;
      EXPECT_EQ(jsonb_refusal(open + "\xFF\"}"), "invalid UTF-8") << n;
      EXPECT_EQ(jsonb_refusal(open), "unterminated string") << n;
    }
  }
}

TEST(PgText, ValidUtf8WithoutNul) {
  EXPECT_TRUE(detail::pg::valid_pg_text("caf\xC3\xA9"));
  EXPECT_FALSE(detail::pg::valid_pg_text(std::string("a\0b", 3)));
  EXPECT_FALSE(detail::pg::valid_pg_text("\xFF"));
}

TEST(PgCopy, TextFormatEscapesAndBinaryFormatFramesEachField) {
  std::string text;
  detail::pg::copy_record_row(text, PostgresCopyFormat::kText, "j", "c", 7, "k", "{\"a\":\"x\\ty\"}\t\n\r");
  EXPECT_EQ(text, "j\tc\t7\tk\t{\"a\":\"x\\\\ty\"}\\t\\n\\r\n");
  std::string bin;
  detail::pg::copy_header(bin, PostgresCopyFormat::kBinary);
  EXPECT_EQ(bin.size(), 19u);
  EXPECT_EQ(bin.substr(0, 11), std::string("PGCOPY\n\xFF\r\n\0", 11));
  bin.clear();
  detail::pg::copy_record_row(bin, PostgresCopyFormat::kBinary, "j", "c", 258, "k", "{}");
  // 5 fields; "j"; "c"; int8 258; "k"; jsonb version 1 + "{}".
  const std::string want(
      "\x00\x05"
      "\x00\x00\x00\x01j"
      "\x00\x00\x00\x01"
      "c"
      "\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x02"
      "\x00\x00\x00\x01k"
      "\x00\x00\x00\x03\x01{}",
      2 + 5 + 5 + 12 + 5 + 7);
  EXPECT_EQ(bin, want);
}

TEST(RedactedPostgresUrl, HidesEveryPasswordAndNothingElse) {
  EXPECT_EQ(redacted_postgres_url("postgresql://gb:s3cret@db.example:5432/exports"),
            "postgresql://gb:***@db.example:5432/exports");
  EXPECT_EQ(redacted_postgres_url("postgres://gb:p%40ss@host/db?sslmode=verify-full"),
            "postgres://gb:***@host/db?sslmode=verify-full");
  EXPECT_EQ(redacted_postgres_url("postgresql://gb@host/db?password=secret&sslmode=require"),
            "postgresql://gb@host/db?password=***&sslmode=require");
  EXPECT_EQ(redacted_postgres_url("host=db user=gb password=secret dbname=x"), "host=db user=gb password=*** dbname=x");
  EXPECT_EQ(redacted_postgres_url("host=db password='se cret' dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(redacted_postgres_url("postgresql://gb@host:5432/db"), "postgresql://gb@host:5432/db");
  EXPECT_EQ(redacted_postgres_url("postgresql://host/db"), "postgresql://host/db");
}

}  // namespace
}  // namespace gb::sinks
