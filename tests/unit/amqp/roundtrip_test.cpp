// A message through a real RabbitMQ and back, every property and header kind intact.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include "broker_test_support.hpp"

namespace gb::amqp {
namespace {

TEST_F(BrokerTest, PublishThenConsumeKeepsPropertiesAndEveryHeaderKind) {
  Publisher pub = publisher();
  Message m;
  m.body = R"([["job-1", "users"], {}, {"callbacks": null}])";
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.correlation_id = "6f1c7e1e-0000-4000-8000-000000000001";
  m.reply_to = "reply.queue";
  m.message_id = "m-1";
  m.expiration = "600000";
  m.priority = 3;
  m.headers = {{"eta", FieldValue()},
               {"ignore_result", false},
               {"retries", 2},
               {"big", std::int64_t{1} << 40},
               {"ratio", 0.5},
               {"task", "bulk_processor.process_bulk_job_task"},
               {"timelimit", FieldArray{FieldValue(), 300}},
               {"embed", FieldTable{{"chord", FieldValue()}, {"nested", FieldTable{{"k", "v"}}}}}};
  auto published = pub.publish("", queue_, m);
  ASSERT_TRUE(published.ok()) << published.error().describe();

  Consumer c = consumer();
  auto d = c.next_delivery(10s);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  const Delivery& got = **d;
  EXPECT_FALSE(got.redelivered);
  EXPECT_EQ(got.exchange, "");
  EXPECT_EQ(got.routing_key, queue_);
  EXPECT_FALSE(got.unreadable);
  EXPECT_EQ(got.body_size, m.body.size());
  EXPECT_EQ(got.message.body, m.body);
  EXPECT_EQ(got.message.content_type, m.content_type);
  EXPECT_EQ(got.message.content_encoding, m.content_encoding);
  EXPECT_EQ(got.message.correlation_id, m.correlation_id);
  EXPECT_EQ(got.message.reply_to, m.reply_to);
  EXPECT_EQ(got.message.message_id, m.message_id);
  EXPECT_EQ(got.message.expiration, m.expiration);
  EXPECT_EQ(got.message.priority, m.priority);
  EXPECT_TRUE(got.message.persistent);
  EXPECT_EQ(got.message.headers, m.headers);
  ASSERT_TRUE(c.ack(got.tag).ok());
  auto counts = c.connection().queue_counts(queue_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 0U);
  EXPECT_EQ(counts->consumers, 1U);
}

// Other producers send narrower integer kinds, floats, decimals, timestamps,
// byte arrays: published raw with rabbitmq-c, read with our Consumer.
TEST_F(BrokerTest, HeadersOfEveryWireWidthFromAnotherProducerDecode) {
  Consumer c = consumer();
  amqp_connection_state_t raw = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(raw);
  ASSERT_EQ(amqp_socket_open(socket, "127.0.0.1", shared_broker().port()), AMQP_STATUS_OK);
  ASSERT_EQ(amqp_login(raw, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type,
            AMQP_RESPONSE_NORMAL);
  ASSERT_NE(amqp_channel_open(raw, 1), nullptr);
  amqp_table_entry_t e[9]{};
  const auto set = [&e](int i, const char* key, std::uint8_t kind) -> amqp_field_value_t& {
    e[i].key = amqp_cstring_bytes(key);
    e[i].value.kind = kind;
    return e[i].value;
  };
  set(0, "i8", AMQP_FIELD_KIND_I8).value.i8 = -3;
  set(1, "u8", AMQP_FIELD_KIND_U8).value.u8 = 250;
  set(2, "i16", AMQP_FIELD_KIND_I16).value.i16 = -1000;
  set(3, "i32", AMQP_FIELD_KIND_I32).value.i32 = 123456;
  set(4, "f32", AMQP_FIELD_KIND_F32).value.f32 = 0.5F;
  set(5, "dec", AMQP_FIELD_KIND_DECIMAL).value.decimal = {1, 25};
  set(6, "ts", AMQP_FIELD_KIND_TIMESTAMP).value.u64 = 1700000000;
  set(7, "bytes", AMQP_FIELD_KIND_BYTES).value.bytes = amqp_cstring_bytes("raw");
  set(8, "void", AMQP_FIELD_KIND_VOID);
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_HEADERS_FLAG;
  props.headers = {9, e};
  ASSERT_EQ(amqp_basic_publish(raw, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue_.c_str()), 0, 0, &props,
                               amqp_cstring_bytes("x")),
            AMQP_STATUS_OK);
  amqp_connection_close(raw, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(raw);

  auto d = c.next_delivery(10s);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  const FieldTable& h = (*d)->message.headers;
  EXPECT_EQ(*find_field(h, "i8")->as_int(), -3);
  EXPECT_EQ(*find_field(h, "u8")->as_int(), 250);
  EXPECT_EQ(*find_field(h, "i16")->as_int(), -1000);
  EXPECT_EQ(*find_field(h, "i32")->as_int(), 123456);
  EXPECT_DOUBLE_EQ(*find_field(h, "f32")->as_double(), 0.5);
  EXPECT_DOUBLE_EQ(*find_field(h, "dec")->as_double(), 2.5);
  EXPECT_EQ(*find_field(h, "ts")->as_int(), 1700000000);
  EXPECT_EQ(*find_field(h, "bytes")->as_string(), "raw");
  EXPECT_TRUE(find_field(h, "void")->is_void());
  EXPECT_FALSE((*d)->message.persistent);
  EXPECT_TRUE(c.ack((*d)->tag).ok());
}

TEST_F(BrokerTest, BodyOverTheLimitIsReportedNotRead) {
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text(std::string(300000, 'x'))).ok());  // several frames
  ASSERT_TRUE(pub.publish("", queue_, text("small")).ok());
  ConnectionOptions options;
  options.max_body_bytes = 1024;
  Consumer c = consumer(options);
  auto big = c.next_delivery(10s);
  ASSERT_TRUE(big.ok()) << big.error().describe();
  ASSERT_TRUE(big->has_value());
  EXPECT_TRUE((*big)->unreadable.has_value());
  EXPECT_EQ((*big)->body_size, 300000U);
  EXPECT_TRUE((*big)->message.body.empty());
  EXPECT_EQ((*big)->message.content_type, "text/plain");
  ASSERT_TRUE(c.reject((*big)->tag, false).ok());
  auto next = c.next_delivery(10s);  // the connection is in step: the next message reads fine
  ASSERT_TRUE(next.ok()) << next.error().describe();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->message.body, "small");
  EXPECT_TRUE(c.ack((*next)->tag).ok());
}

TEST_F(BrokerTest, QueueOperations) {
  Publisher pub = publisher();
  for (const char* body : {"a", "b", "c"}) ASSERT_TRUE(pub.publish("", queue_, text(body)).ok());
  auto counts = pub.connection().queue_counts(queue_);
  ASSERT_TRUE(counts.ok()) << counts.error().describe();
  EXPECT_EQ(counts->messages, 3U);
  EXPECT_EQ(counts->consumers, 0U);

  auto reader = Connection::open(url_);
  ASSERT_TRUE(reader.ok());
  auto first = reader->basic_get(queue_);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->message.body, "a");
  EXPECT_TRUE(reader->ack((*first)->tag).ok());
  EXPECT_EQ(reader->ack((*first)->tag).error().kind, ErrorKind::kInvalidInput);  // twice: refused, not sent
  EXPECT_TRUE(reader->is_open());

  auto purged = reader->purge_queue(queue_);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 2U);
  auto empty = reader->basic_get(queue_);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());

  ASSERT_TRUE(reader->delete_queue(queue_).ok());
  auto gone = reader->queue_counts(queue_);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(gone.error().message.find("404 NOT_FOUND"), std::string::npos) << gone.error().message;
  EXPECT_TRUE(reader->is_open());  // a channel error: the channel is reopened on the next call
  EXPECT_TRUE(reader->declare_queue(queue_, true).ok());
}

TEST_F(BrokerTest, ListQueuesShowsReadyAndUnacknowledged) {
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("1")).ok());
  ASSERT_TRUE(pub.publish("", queue_, text("2")).ok());
  Consumer c = consumer();
  auto held = c.next_delivery(10s);
  ASSERT_TRUE(held.ok() && held->has_value());
  bool found = false;
  for (const auto& row : shared_broker().list_queues()) {
    if (row.name != queue_) continue;
    found = true;
    EXPECT_EQ(row.messages, 2);  // ready + unacknowledged
    EXPECT_EQ(row.messages_unacknowledged, 1);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace gb::amqp
