// Python Celery (Debian's python3-celery) as the producer against the same
// broker: its messages decode, and its queue declaration agrees with ours
// whichever side declares first.
#include <sstream>

#include "broker_test_support.hpp"
#include "testing/server_process.hpp"

namespace gb::amqp {
namespace {

// send_task as a producer does it; prints the task id after a marker.
constexpr const char* kSendTask = R"(
import sys
from celery import Celery
app = Celery("producer", broker=sys.argv[1])
r = app.send_task("bulk_processor.process_bulk_job_task", args=["job-42", "users"],
                  kwargs={"region": "eu"}, queue=sys.argv[2], soft_time_limit=30)
print("TASK_ID=" + r.id)
)";

class CeleryTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped()) return;
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  }

  // Runs the producer; returns the task id it printed ("" on failure, reported).
  std::string send_task() {
    fixtures::SpawnOptions o;
    o.argv = {"/usr/bin/python3", "-c", kSendTask, shared_broker().url(), queue_};
    o.env = {"PATH=/usr/bin:/bin", "HOME=/tmp", "LC_ALL=C.UTF-8"};
    const auto scratch = std::filesystem::temp_directory_path();
    const fixtures::Finished r = fixtures::run(o, scratch, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (r.exit_code != 0) return {};
    // Output and warnings share the stream: find our line.
    const std::size_t at = r.output.find("TASK_ID=");
    EXPECT_NE(at, std::string::npos) << r.output;
    if (at == std::string::npos) return {};
    std::string id;
    std::istringstream(r.output.substr(at + 8)) >> id;
    return id;
  }
};

TEST_F(CeleryTest, MessageFromPythonDecodes) {
  const std::string id = send_task();
  ASSERT_FALSE(id.empty());
  Consumer c = consumer();
  auto d = c.next_delivery(10s);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  const Message& m = (*d)->message;
  EXPECT_EQ(m.correlation_id, id);
  EXPECT_EQ(m.content_type, "application/json");
  EXPECT_EQ(m.content_encoding, "utf-8");
  EXPECT_TRUE(m.persistent);
  EXPECT_EQ(m.body.rfind(R"([["job-42", "users"], {"region": "eu"}, {)", 0), 0U) << m.body;
  const FieldTable& h = m.headers;
  ASSERT_NE(find_field(h, "task"), nullptr);
  EXPECT_EQ(*find_field(h, "task")->as_string(), "bulk_processor.process_bulk_job_task");
  EXPECT_EQ(*find_field(h, "id")->as_string(), id);
  EXPECT_EQ(*find_field(h, "root_id")->as_string(), id);
  EXPECT_EQ(*find_field(h, "lang")->as_string(), "py");
  EXPECT_EQ(*find_field(h, "retries")->as_int(), 0);
  EXPECT_TRUE(find_field(h, "eta")->is_void());
  EXPECT_TRUE(find_field(h, "expires")->is_void());
  EXPECT_TRUE(find_field(h, "parent_id")->is_void());
  EXPECT_EQ(*find_field(h, "ignore_result")->as_bool(), false);
  const FieldArray* timelimit = find_field(h, "timelimit")->as_array();
  ASSERT_NE(timelimit, nullptr);
  ASSERT_EQ(timelimit->size(), 2U);
  EXPECT_TRUE((*timelimit)[0].is_void());  // hard: None
  EXPECT_EQ(*(*timelimit)[1].as_int(), 30);
  EXPECT_NE(find_field(h, "origin")->as_string(), nullptr);
  EXPECT_TRUE(c.ack((*d)->tag).ok());
}

TEST_F(CeleryTest, WeDeclareFirstThenPythonSends) {
  auto conn = Connection::open(url_);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->declare_queue(queue_, true).ok());
  ASSERT_FALSE(send_task().empty());  // no PRECONDITION_FAILED on Python's side
  auto counts = conn->queue_counts(queue_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 1U);
}

TEST_F(CeleryTest, PythonSendsFirstThenWeDeclare) {
  ASSERT_FALSE(send_task().empty());
  auto conn = Connection::open(url_);
  ASSERT_TRUE(conn.ok());
  auto declared = conn->declare_queue(queue_, true);
  ASSERT_TRUE(declared.ok()) << declared.error().describe();
  auto counts = conn->queue_counts(queue_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 1U);
}

// The failure the issue warns about, with the broker's reason in the error.
TEST_F(CeleryTest, DeclaringWithOtherArgumentsIsRefusedWithTheBrokersReason) {
  ASSERT_FALSE(send_task().empty());
  auto conn = Connection::open(url_);
  ASSERT_TRUE(conn.ok());
  auto refused = conn->declare_queue(queue_, true, {{"x-message-ttl", 60000}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(refused.error().message.find("406 PRECONDITION_FAILED"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("x-message-ttl"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(conn->is_open());
  EXPECT_TRUE(conn->declare_queue(queue_, true).ok());  // the channel is back
}

}  // namespace
}  // namespace gb::amqp
