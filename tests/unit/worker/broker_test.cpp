// The worker's ports against a real RabbitMQ (one node for this binary): the
// queue topology, the delay ladder's round trip, the dead-letter tools, and
// one task through TaskRunner with a continuation held by the broker and an
// rpc:// result the way Python reads it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "celery/results.hpp"
#include "celery/task_message.hpp"
#include "testing/fake_clock.hpp"
#include "testing/rabbitmq_server.hpp"
#include "testing/worker_fakes.hpp"
#include "worker/amqp_ports.hpp"
#include "worker/celery_codec.hpp"
#include "worker/dlq_admin.hpp"
#include "worker/rpc_result_backend.hpp"
#include "worker/task_runner.hpp"

namespace gb::worker {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

fixtures::RabbitMqServer& shared_broker() {
  static fixtures::RabbitMqServer server;
  return server;
}

class WorkerBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::RabbitMqServer::available()) GTEST_SKIP() << "rabbitmq-server is not installed (or not root)";
    url_ = amqp::BrokerUrl::parse(shared_broker().url()).value();
    queue_ = std::string("gb.worker.") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto connection = amqp::Connection::open(url_);
    ASSERT_TRUE(connection.ok()) << connection.error().describe();
    connection_.emplace(std::move(connection).value());
    ladder_.emplace(queue_);
    auto declared = declare_worker_queues(*connection_, *ladder_);
    ASSERT_TRUE(declared.ok()) << declared.error().describe();
  }

  amqp::Consumer consumer() {
    auto c = amqp::Consumer::open(url_);
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE(c->set_prefetch(1).ok());
    EXPECT_TRUE(c->consume(queue_).ok());
    return std::move(c).value();
  }

  // Ready messages of `queue` once it has settled on `expected` (a requeue
  // reaches the queue's count a moment after the reject), or after 5 s.
  std::uint32_t ready(const std::string& queue, std::uint32_t expected = 0) {
    std::uint32_t n = 0;
    for (const auto until = Steady::now() + 5s; Steady::now() < until; std::this_thread::sleep_for(50ms)) {
      auto counts = connection_->queue_counts(queue);
      EXPECT_TRUE(counts.ok()) << counts.error().describe();
      n = counts.ok() ? counts->messages : 0;
      if (n == expected) break;
    }
    return n;
  }

  static Message celery_task(const std::string& id, int retries = 0) {
    celery::TaskRequest r;
    r.task = "bulk_processor.process_bulk_job_task";
    r.id = id;
    r.retries = retries;
    r.args_json = R"(["job-1", "users"])";
    return celery::encode_task(r);
  }

  amqp::BrokerUrl url_;
  std::string queue_;
  std::optional<amqp::Connection> connection_;
  std::optional<DelayLadder> ladder_;
};

TEST_F(WorkerBrokerTest, QueuesDeclareAgainAndAsCeleryDoes) {
  EXPECT_TRUE(declare_worker_queues(*connection_, *ladder_).ok());  // a second worker
  // What Python's send_task declares: durable, no arguments. Not refused.
  auto celery = connection_->declare_queue(queue_, true, {});
  EXPECT_TRUE(celery.ok()) << celery.error().describe();
  for (const auto& q : worker_queues(*ladder_)) EXPECT_EQ(ready(q.name), 0U) << q.name;
}

TEST_F(WorkerBrokerTest, TheLadderDelaysThenHandsBack) {
  auto p = amqp::Publisher::open(url_);
  ASSERT_TRUE(p.ok());
  AmqpPublisher publisher(*p);
  auto c = consumer();
  AmqpConsumer port(c);
  const auto sent = Steady::now();
  ASSERT_TRUE(publisher.publish("", ladder_->steps().front().queue, celery_task("t-ladder")).ok());
  auto got = port.next_delivery(10s);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  ASSERT_TRUE(got->has_value());
  const auto waited = Steady::now() - sent;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 8s);
  EXPECT_NE(find_field((*got)->message.headers, "x-death"), nullptr);  // dead-lettered by the TTL
  EXPECT_TRUE(port.ack((*got)->tag).ok());
}

TEST_F(WorkerBrokerTest, DeadLettersAreListedWithoutBeingTakenAndReplayed) {
  auto p = amqp::Publisher::open(url_);
  ASSERT_TRUE(p.ok());
  AmqpPublisher publisher(*p);
  const std::string dlq = dead_letter_queue(queue_);
  for (const char* id : {"d-1", "d-2", "d-3"}) {
    DeadLetter d;
    d.task_id = id;
    d.reason = "permanent: HTTP 404: job not found";
    d.queue = queue_;
    d.retries = 3;
    d.original = celery_task(id, 3);
    ASSERT_TRUE(publisher.publish("", dlq, dead_letter_message(d)).ok());
  }
  AmqpQueueReader reader(*connection_, dlq);
  auto list = list_dead_letters(reader, 100);
  ASSERT_TRUE(list.ok()) << list.error().describe();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[0].message_id, "d-1");
  EXPECT_EQ(ready(dlq, 3), 3U);  // all handed back

  const CeleryTaskCodec codec;
  auto replayed = replay_dead_letter(reader, publisher, codec, "d-2", 100);
  ASSERT_TRUE(replayed.ok()) << replayed.error().describe();
  EXPECT_EQ(ready(dlq, 2), 2U);
  EXPECT_EQ(ready(queue_, 1), 1U);
  auto again = connection_->basic_get(queue_);
  ASSERT_TRUE(again.ok() && again->has_value());
  auto task = codec.decode((*again)->message);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->id, "d-2");
  EXPECT_EQ(task->retries, 0);
  EXPECT_TRUE(connection_->ack((*again)->tag).ok());
  auto purged = reader.purge();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 2U);
}

// One task, two slices: the job is still running (a continuation through the
// ladder, acked), then finished (SUCCESS to the reply queue, as rpc://).
TEST_F(WorkerBrokerTest, ATaskContinuesThroughTheBrokerThenAnswers) {
  auto p = amqp::Publisher::open(url_);
  ASSERT_TRUE(p.ok());
  AmqpPublisher publisher(*p);
  const std::string reply_queue = queue_ + ".reply";
  ASSERT_TRUE(connection_->declare_queue(reply_queue, false, {}).ok());
  Message task = celery_task("6f1c7e1e-0000-4000-8000-00000000cafe");
  task.reply_to = reply_queue;
  ASSERT_TRUE(publisher.publish("", queue_, task).ok());

  auto c = consumer();
  AmqpConsumer consumer_port(c);
  RpcResultBackend results(publisher);
  const CeleryTaskCodec codec;
  FakeSliceRunner slices;
  SliceResult running;
  running.kind = SliceResult::Kind::kJobRunning;
  running.next_poll = 1s;
  SliceResult finished;
  finished.job_id = "job-1";
  finished.job_type = "users";
  finished.state = "landed";
  finished.records = 42;
  slices.outcomes.emplace_back(running);
  slices.outcomes.emplace_back(finished);
  const RetryPolicy retry(RetrySettings{});
  FakeClock clock;
  TaskRunner runner(RunnerSettings{}, codec, slices, publisher, results, retry, *ladder_, clock,
                    [] { return std::chrono::system_clock::now(); });

  for (int delivery = 0; delivery < 2; ++delivery) {
    auto got = consumer_port.next_delivery(15s);
    ASSERT_TRUE(got.ok() && got->has_value()) << delivery;
    const Handled h = runner.handle((*got)->message);
    ASSERT_EQ(h.disposition, Handled::Disposition::kAck) << h.detail;
    EXPECT_EQ(h.action, delivery == 0 ? Handled::Action::kContinued : Handled::Action::kSucceeded) << h.detail;
    ASSERT_TRUE(consumer_port.ack((*got)->tag).ok());
  }
  EXPECT_EQ(ready(queue_), 0U);
  auto reply = connection_->basic_get(reply_queue);
  ASSERT_TRUE(reply.ok() && reply->has_value());
  EXPECT_EQ((*reply)->message.correlation_id, "6f1c7e1e-0000-4000-8000-00000000cafe");
  auto result = celery::decode_result((*reply)->message.body);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->state, celery::TaskState::kSuccess);
  EXPECT_NE(result->result_json.find("\"records\":42"), std::string::npos) << result->result_json;
  EXPECT_TRUE(connection_->ack((*reply)->tag).ok());
}

}  // namespace
}  // namespace gb::worker
