// amqp_table_t <-> FieldTable, through rabbitmq-c's own wire encoder and
// decoder, so what is tested is what travels.
#include "amqp/detail/field_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace gb::amqp::detail {
namespace {

// Encodes `table` to wire bytes and decodes them again, as the broker's peer would.
FieldTable wire_round_trip(const amqp_table_t& table) {
  std::vector<char> buffer(65536);
  amqp_bytes_t encoded{buffer.size(), buffer.data()};
  size_t offset = 0;
  EXPECT_EQ(amqp_encode_table(encoded, const_cast<amqp_table_t*>(&table), &offset), AMQP_STATUS_OK);
  Pool pool;
  amqp_table_t decoded{};
  size_t read = 0;
  amqp_bytes_t wire{offset, buffer.data()};
  EXPECT_EQ(amqp_decode_table(wire, pool.get(), &decoded, &read), AMQP_STATUS_OK);
  return from_amqp(decoded);
}

TEST(FieldTable, EveryValueKindRoundTrips) {
  const FieldTable headers = {
      {"none", FieldValue()},
      {"yes", true},
      {"no", false},
      {"int", 42},
      {"big", std::int64_t{1} << 40},
      {"negative", std::int64_t{-7}},
      {"double", 2.5},
      {"text", "h\xc3\xa9llo"},
      {"binary", std::string("a\0b", 3)},
      {"timelimit", FieldArray{FieldValue(), 30}},
      {"empty", FieldArray{}},
      {"table", FieldTable{{"k", "v"}, {"inner", FieldTable{{"deep", 1}}}}},
  };
  Pool pool;
  EXPECT_EQ(wire_round_trip(to_amqp(headers, pool)), headers);
}

amqp_table_entry_t entry(const char* key, amqp_field_value_t value) {
  return {amqp_cstring_bytes(key), value};
}

amqp_field_value_t field(std::uint8_t kind) {
  amqp_field_value_t v{};
  v.kind = kind;
  return v;
}

// What py-amqp and other producers send: every width RabbitMQ relays.
TEST(FieldTable, EveryWireKindDecodes) {
  std::vector<amqp_table_entry_t> e;
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_I8);
    v.value.i8 = -8;
    e.push_back(entry("b", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_U8);
    v.value.u8 = 200;
    e.push_back(entry("B", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_I16);
    v.value.i16 = -300;
    e.push_back(entry("s", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_U16);
    v.value.u16 = 60000;
    e.push_back(entry("u", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_I32);
    v.value.i32 = -70000;
    e.push_back(entry("I", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_U32);
    v.value.u32 = 4000000000U;
    e.push_back(entry("i", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_I64);
    v.value.i64 = -5000000000LL;
    e.push_back(entry("l", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_U64);
    v.value.u64 = 18000000000000000000ULL;
    e.push_back(entry("L", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_F32);
    v.value.f32 = 1.5F;
    e.push_back(entry("f", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_F64);
    v.value.f64 = -0.25;
    e.push_back(entry("d", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_DECIMAL);
    v.value.decimal = {0, 12};
    e.push_back(entry("D0", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_DECIMAL);
    v.value.decimal = {2, 1234};
    e.push_back(entry("D2", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_TIMESTAMP);
    v.value.u64 = 1700000000;
    e.push_back(entry("T", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_BYTES);
    v.value.bytes = amqp_cstring_bytes("raw");
    e.push_back(entry("x", v));
  }
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_UTF8);
    v.value.bytes = amqp_cstring_bytes("str");
    e.push_back(entry("S", v));
  }
  e.push_back(entry("V", field(AMQP_FIELD_KIND_VOID)));
  {
    amqp_field_value_t v = field(AMQP_FIELD_KIND_BOOLEAN);
    v.value.boolean = 1;
    e.push_back(entry("t", v));
  }
  const amqp_table_t table{static_cast<int>(e.size()), e.data()};

  const FieldTable got = wire_round_trip(table);
  ASSERT_EQ(got.size(), e.size());
  EXPECT_EQ(*find_field(got, "b")->as_int(), -8);
  EXPECT_EQ(*find_field(got, "B")->as_int(), 200);
  EXPECT_EQ(*find_field(got, "s")->as_int(), -300);
  EXPECT_EQ(*find_field(got, "u")->as_int(), 60000);
  EXPECT_EQ(*find_field(got, "I")->as_int(), -70000);
  EXPECT_EQ(*find_field(got, "i")->as_int(), 4000000000LL);
  EXPECT_EQ(*find_field(got, "l")->as_int(), -5000000000LL);
  EXPECT_DOUBLE_EQ(*find_field(got, "L")->as_double(), 18000000000000000000.0);  // above INT64_MAX
  EXPECT_DOUBLE_EQ(*find_field(got, "f")->as_double(), 1.5);
  EXPECT_DOUBLE_EQ(*find_field(got, "d")->as_double(), -0.25);
  EXPECT_EQ(*find_field(got, "D0")->as_int(), 12);
  EXPECT_DOUBLE_EQ(*find_field(got, "D2")->as_double(), 12.34);
  EXPECT_EQ(*find_field(got, "T")->as_int(), 1700000000);
  EXPECT_EQ(*find_field(got, "x")->as_string(), "raw");
  EXPECT_EQ(*find_field(got, "S")->as_string(), "str");
  EXPECT_TRUE(find_field(got, "V")->is_void());
  EXPECT_EQ(*find_field(got, "t")->as_bool(), true);
}

TEST(FieldTable, NestingBeyondTheLimitDecodesAsVoid) {
  FieldValue deep = 1;
  for (int i = 0; i < kMaxFieldDepth + 5; ++i) deep = FieldArray{deep};
  const FieldTable headers = {{"deep", deep}};
  Pool pool;
  const FieldTable got = from_amqp(to_amqp(headers, pool));
  const FieldValue* v = find_field(got, "deep");
  ASSERT_NE(v, nullptr);
  int levels = 0;
  while (const FieldArray* a = v->as_array()) {
    ASSERT_EQ(a->size(), 1U);
    v = &a->front();
    ++levels;
  }
  EXPECT_TRUE(v->is_void());
  EXPECT_LE(levels, kMaxFieldDepth);
}

TEST(FieldTable, PropertiesRoundTrip) {
  Message m;
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.correlation_id = "id-1";
  m.reply_to = "reply.q";
  m.message_id = "m-1";
  m.expiration = "60000";
  m.priority = 5;
  m.persistent = true;
  m.headers = {{"task", "t"}, {"retries", 0}};
  Pool pool;
  const amqp_basic_properties_t p = properties_from_message(m, pool);
  Message back = message_from_properties(p);
  EXPECT_EQ(back.content_type, m.content_type);
  EXPECT_EQ(back.content_encoding, m.content_encoding);
  EXPECT_EQ(back.correlation_id, m.correlation_id);
  EXPECT_EQ(back.reply_to, m.reply_to);
  EXPECT_EQ(back.message_id, m.message_id);
  EXPECT_EQ(back.expiration, m.expiration);
  EXPECT_EQ(back.priority, m.priority);
  EXPECT_TRUE(back.persistent);
  EXPECT_EQ(back.headers, m.headers);

  Message bare;
  bare.persistent = false;
  const amqp_basic_properties_t q = properties_from_message(bare, pool);
  EXPECT_EQ(q._flags, AMQP_BASIC_DELIVERY_MODE_FLAG);  // nothing else is sent
  EXPECT_FALSE(message_from_properties(q).persistent);
}

}  // namespace
}  // namespace gb::amqp::detail
