// The worker's ports over celery/ (codec, result documents): pure, no broker.
#include <gtest/gtest.h>

#include "celery/results.hpp"
#include "celery/task_message.hpp"
#include "testing/worker_fakes.hpp"
#include "worker/celery_codec.hpp"
#include "worker/rpc_result_backend.hpp"

namespace gb::worker {
namespace {

using std::chrono::seconds;

Message celery_task(int retries) {
  celery::TaskRequest r;
  r.task = "bulk_processor.process_bulk_job_task";
  r.id = "5f0c3c4e-1b7a-4a3e-9a57-0c6c4a1d2e3f";
  r.retries = retries;
  r.args_json = R"(["job-1", "users"])";
  r.reply_to = "reply.q";
  r.time_limit = 600;
  r.soft_time_limit = 300;
  r.expires = celery::utc_time(WallTime(seconds(1'900'000'000)));
  Message m = celery::encode_task(r);
  m.headers.emplace_back("x-death", FieldArray{});
  return m;
}

TEST(CeleryTaskCodec, DecodesWhatPythonSends) {
  const CeleryTaskCodec codec;
  auto task = codec.decode(celery_task(2));
  ASSERT_TRUE(task.ok()) << task.error().describe();
  EXPECT_EQ(task->id, "5f0c3c4e-1b7a-4a3e-9a57-0c6c4a1d2e3f");
  EXPECT_EQ(task->name, "bulk_processor.process_bulk_job_task");
  EXPECT_EQ(task->retries, 2);
  EXPECT_EQ(task->correlation_id, task->id);
  EXPECT_EQ(task->reply_to, "reply.q");
  EXPECT_EQ(task->hard_limit_s, 600);
  EXPECT_EQ(task->soft_limit_s, 300);
  EXPECT_EQ(task->expires, WallTime(seconds(1'900'000'000)));
  EXPECT_FALSE(task->eta.has_value());
  EXPECT_EQ(task->args_json, R"(["job-1", "users"])");
}

TEST(CeleryTaskCodec, ReschedulesAsCeleryRetries) {
  const CeleryTaskCodec codec;
  const WallTime eta(seconds(1'800'000'000));
  auto next = codec.reschedule(celery_task(2), 3, eta);
  ASSERT_TRUE(next.ok()) << next.error().describe();
  EXPECT_EQ(find_field(next->headers, "x-death"), nullptr);
  auto task = codec.decode(*next);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->retries, 3);
  EXPECT_EQ(task->eta, eta);
  EXPECT_EQ(task->id, "5f0c3c4e-1b7a-4a3e-9a57-0c6c4a1d2e3f");
  EXPECT_EQ(task->reply_to, "reply.q");
  EXPECT_EQ(task->args_json, R"(["job-1", "users"])");
  EXPECT_TRUE(next->persistent);
}

TEST(CeleryTaskCodec, RefusesWhatIsNotATask) {
  Message m;
  m.body = "\x80\x04pickle";
  m.content_type = "application/x-python-serialize";
  EXPECT_FALSE(CeleryTaskCodec().decode(m).ok());
}

TEST(RpcResultBackend, PublishesToTheReplyQueueWithTheCorrelationId) {
  FakePublisher publisher;
  RpcResultBackend backend(publisher);
  ASSERT_TRUE(backend.store("t-1", TaskState::kSuccess, R"({"records": 3})", "reply.q", "t-1").ok());
  ASSERT_EQ(publisher.published.size(), 1U);
  EXPECT_EQ(publisher.published[0].routing_key, "reply.q");
  EXPECT_EQ(publisher.published[0].message.correlation_id, "t-1");
  auto doc = celery::decode_result(publisher.published[0].message.body);
  ASSERT_TRUE(doc.ok()) << doc.error().describe();
  EXPECT_EQ(doc->state, celery::TaskState::kSuccess);
  EXPECT_EQ(doc->task_id, "t-1");
  // No reply queue: nothing to send.
  EXPECT_TRUE(backend.store("t-2", TaskState::kSuccess, "{}", "", "t-2").ok());
  EXPECT_EQ(publisher.published.size(), 1U);
}

// A producer that went away took its reply queue with it: not worth a redelivery.
TEST(RpcResultBackend, AReplyQueueThatIsGoneIsNotAnError) {
  class Refusing final : public Publisher {
   public:
    Status publish(std::string_view, std::string_view, const Message&) override {
      Error e = permanent_error("312 NO_ROUTE");
      return e;
    }
  } refusing;
  RpcResultBackend backend(refusing);
  EXPECT_TRUE(backend.store("t-1", TaskState::kFailure, "{}", "gone.q", "t-1").ok());
  FakePublisher down;
  down.fail = true;  // transient: the result must wait for the broker
  EXPECT_FALSE(RpcResultBackend(down).store("t-1", TaskState::kFailure, "{}", "reply.q", "t-1").ok());
}

}  // namespace
}  // namespace gb::worker
