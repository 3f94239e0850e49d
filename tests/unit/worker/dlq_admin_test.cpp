#include "worker/dlq_admin.hpp"

#include <gtest/gtest.h>

#include <map>

#include "testing/worker_fakes.hpp"

namespace gb::worker {
namespace {

// A queue as basic.get sees it: ready messages in order; a get holds one
// (unacked) until it is acked (gone) or rejected with requeue (back in its place).
class FakeQueue final : public QueueReader {
 public:
  void add(Message m) { ready_.emplace(next_position_++, std::move(m)); }

  Result<std::optional<Delivery>> get() override {
    if (fail_get) return transient_error("connection lost");
    if (ready_.empty()) return std::optional<Delivery>();
    auto first = ready_.begin();
    Delivery d;
    d.tag = ++last_tag_;
    d.message = first->second;
    held_.emplace(d.tag, *first);
    ready_.erase(first);
    return std::optional<Delivery>(std::move(d));
  }
  Status ack(std::uint64_t tag) override {
    if (held_.erase(tag) == 0) return invalid_input("unknown tag");
    return ok_status();
  }
  Status reject(std::uint64_t tag, bool requeue) override {
    auto it = held_.find(tag);
    if (it == held_.end()) return invalid_input("unknown tag");
    if (requeue) ready_.insert(it->second);
    held_.erase(it);
    return ok_status();
  }
  Result<std::uint32_t> purge() override {
    const auto n = static_cast<std::uint32_t>(ready_.size());
    ready_.clear();
    return n;
  }

  std::size_t ready() const { return ready_.size(); }
  std::size_t held() const { return held_.size(); }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [position, m] : ready_) out.push_back(m.message_id);
    return out;
  }
  bool fail_get = false;

 private:
  std::map<int, Message> ready_;  // by position in the queue
  std::map<std::uint64_t, std::pair<const int, Message>> held_;
  int next_position_ = 0;
  std::uint64_t last_tag_ = 0;
};

DeadLetter letter(const std::string& task_id) {
  DeadLetter d;
  d.task_id = task_id;
  d.task_name = "bulk_processor.process_bulk_job_task";
  d.reason = "permanent: HTTP 404: job not found";
  d.queue = "genesys-bulk";
  d.retries = 3;
  d.original.body = "[[\"job\", \"users\"], {}, {}]";
  d.original.correlation_id = task_id;
  d.original.headers = {{"task", "bulk_processor.process_bulk_job_task"}, {"id", task_id}, {"retries", 3}};
  return d;
}

class DlqAdminTest : public ::testing::Test {
 protected:
  DlqAdminTest() {
    for (const char* id : {"t-1", "t-2", "t-3"}) queue_.add(dead_letter_message(letter(id)));
  }
  FakeQueue queue_;
  FakePublisher publisher_;
  FakeTaskCodec codec_;
};

TEST_F(DlqAdminTest, ListsWithoutTakingAnything) {
  Message garbage;
  garbage.body = "not a dead letter";
  queue_.add(garbage);
  auto list = list_dead_letters(queue_, 100);
  ASSERT_TRUE(list.ok()) << list.error().describe();
  ASSERT_EQ(list->size(), 4U);
  EXPECT_EQ((*list)[0].message_id, "t-1");
  ASSERT_TRUE((*list)[1].letter.ok());
  EXPECT_EQ((*list)[1].letter->task_id, "t-2");
  EXPECT_FALSE((*list)[3].letter.ok());
  EXPECT_EQ(queue_.ready(), 4U);
  EXPECT_EQ(queue_.held(), 0U);
  EXPECT_EQ(queue_.ids(), (std::vector<std::string>{"t-1", "t-2", "t-3", ""}));  // same order
}

TEST_F(DlqAdminTest, ListStopsAtTheLimit) {
  auto list = list_dead_letters(queue_, 2);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2U);
  EXPECT_EQ(queue_.ready(), 3U);
}

TEST_F(DlqAdminTest, ShowsOneAndLeavesItThere) {
  auto shown = show_dead_letter(queue_, "t-2", 100);
  ASSERT_TRUE(shown.ok()) << shown.error().describe();
  EXPECT_EQ(shown->task_id, "t-2");
  EXPECT_EQ(shown->retries, 3);
  EXPECT_EQ(queue_.ready(), 3U);
  EXPECT_EQ(queue_.held(), 0U);
  EXPECT_FALSE(show_dead_letter(queue_, "t-9", 100).ok());
  EXPECT_EQ(queue_.ready(), 3U);
}

TEST_F(DlqAdminTest, ReplayRepublishesWithRetriesResetThenAcks) {
  auto replayed = replay_dead_letter(queue_, publisher_, codec_, "t-2", 100);
  ASSERT_TRUE(replayed.ok()) << replayed.error().describe();
  ASSERT_EQ(publisher_.published.size(), 1U);
  const auto& p = publisher_.published[0];
  EXPECT_EQ(p.exchange, "");
  EXPECT_EQ(p.routing_key, "genesys-bulk");
  EXPECT_EQ(*find_field(p.message.headers, "retries")->as_int(), 0);
  EXPECT_EQ(p.message.correlation_id, "t-2");
  EXPECT_EQ(queue_.ids(), (std::vector<std::string>{"t-1", "t-3"}));
  EXPECT_EQ(queue_.held(), 0U);
}

// Protocol 1 keeps retries in the body: the codec re-encodes it (as v2).
class ReencodingCodec final : public TaskCodec {
 public:
  Result<Task> decode(const Message& /*message*/) const override { return invalid_input("unused"); }
  Result<Message> reschedule(const Message& original, int retries, std::optional<WallTime> eta) const override {
    if (refuse) return invalid_input("not a task");
    Message m = original;
    m.headers = {{"task", "bulk_processor.process_bulk_job_task"}, {"retries", retries}, {"eta_set", eta.has_value()}};
    return m;
  }
  bool refuse = false;
};

TEST_F(DlqAdminTest, ReplayOfProtocolOneGoesThroughTheCodec) {
  DeadLetter v1 = letter("t-4");
  v1.original.headers.clear();
  v1.original.body = R"({"task": "bulk_processor.process_bulk_job_task", "id": "t-4", "retries": 3})";
  queue_.add(dead_letter_message(v1));
  ReencodingCodec codec;
  codec.refuse = true;
  EXPECT_FALSE(replay_dead_letter(queue_, publisher_, codec, "t-4", 100).ok());
  EXPECT_EQ(queue_.ready(), 4U);
  codec.refuse = false;
  auto replayed = replay_dead_letter(queue_, publisher_, codec, "t-4", 100);
  ASSERT_TRUE(replayed.ok()) << replayed.error().describe();
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(*find_field(publisher_.published[0].message.headers, "retries")->as_int(), 0);
  EXPECT_EQ(*find_field(publisher_.published[0].message.headers, "eta_set")->as_bool(), false);
  EXPECT_EQ(queue_.ids(), (std::vector<std::string>{"t-1", "t-2", "t-3"}));
}

TEST_F(DlqAdminTest, FailedPublishLeavesTheDeadLetter) {
  publisher_.fail = true;
  EXPECT_FALSE(replay_dead_letter(queue_, publisher_, codec_, "t-1", 100).ok());
  EXPECT_EQ(queue_.ids(), (std::vector<std::string>{"t-1", "t-2", "t-3"}));
  EXPECT_EQ(queue_.held(), 0U);
}

TEST_F(DlqAdminTest, ABrokenConnectionIsAnError) {
  queue_.fail_get = true;
  EXPECT_FALSE(list_dead_letters(queue_, 10).ok());
  EXPECT_FALSE(show_dead_letter(queue_, "t-1", 10).ok());
  EXPECT_FALSE(replay_dead_letter(queue_, publisher_, codec_, "t-1", 10).ok());
}

}  // namespace
}  // namespace gb::worker
