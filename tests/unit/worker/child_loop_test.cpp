#include "worker/child_loop.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "testing/fake_clock.hpp"
#include "testing/worker_fakes.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;

class FakeConsumer final : public Consumer {
 public:
  Result<std::optional<Delivery>> next_delivery(milliseconds /*timeout*/) override {
    if (deliveries.empty()) {
      if (stop_when_empty != nullptr) stop_when_empty->request();
      if (lost_when_empty) return transient_error("connection closed");
      return std::optional<Delivery>();
    }
    Delivery d = std::move(deliveries.front());
    deliveries.pop_front();
    return std::optional<Delivery>(std::move(d));
  }
  Status ack(std::uint64_t tag) override {
    acked.push_back(tag);
    return ok_status();
  }
  Status reject(std::uint64_t tag, bool requeue) override {
    rejected.emplace_back(tag, requeue);
    return ok_status();
  }
  std::deque<Delivery> deliveries;
  std::vector<std::uint64_t> acked;
  std::vector<std::pair<std::uint64_t, bool>> rejected;
  StopSignal* stop_when_empty = nullptr;
  bool lost_when_empty = false;
};

class ChildLoopTest : public ::testing::Test {
 protected:
  ChildLoopTest()
      : retry_(RetrySettings{}),
        runner_(RunnerSettings{}, codec_, slices_, publisher_, results_, retry_, ladder_, clock_,
                [] { return WallTime(std::chrono::hours(500'000)); }) {
    settings_.wait = milliseconds(1);
    settings_.after_requeue = milliseconds(1);
  }

  void deliver(std::uint64_t tag, bool poison = false) {
    Delivery d;
    d.tag = tag;
    d.message.headers = {{"id", "task-" + std::to_string(tag)}, {"task", "bulk_processor.process_bulk_job_task"}};
    if (poison) d.message.headers.emplace_back("poison", true);
    consumer_.deliveries.push_back(std::move(d));
    SliceResult r;
    r.job_id = "job";
    if (!poison) slices_.outcomes.emplace_back(r);
  }

  FakeTaskCodec codec_;
  FakeSliceRunner slices_;
  FakePublisher publisher_;
  FakeResultBackend results_;
  RetryPolicy retry_;
  DelayLadder ladder_{"q"};
  FakeClock clock_;
  StopSignal stop_;
  TaskRunner runner_;
  FakeConsumer consumer_;
  ChildLoopSettings settings_;
};

TEST_F(ChildLoopTest, AcksEachHandledDeliveryUntilStopped) {
  deliver(1);
  deliver(2, /*poison=*/true);
  deliver(3);
  consumer_.stop_when_empty = &stop_;
  std::vector<Handled::Action> seen;
  const ChildLoopEnd end = run_child_loop(consumer_, runner_, nullptr, settings_, stop_,
                                          [&](const Delivery&, const Handled& h) { seen.push_back(h.action); });
  EXPECT_EQ(end.why, ChildLoopEnd::Why::kStopped);
  EXPECT_EQ(exit_code(end), 0);
  EXPECT_EQ(end.tasks, 3);
  EXPECT_EQ(consumer_.acked, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(seen, (std::vector<Handled::Action>{Handled::Action::kSucceeded, Handled::Action::kDeadLettered,
                                                Handled::Action::kSucceeded}));
}

TEST_F(ChildLoopTest, DeadLettersWhatCouldNotBeRead) {
  Delivery d;
  d.tag = 9;
  d.unreadable = "body of 40000000 bytes is over the limit of 16777216";
  consumer_.deliveries.push_back(d);
  consumer_.stop_when_empty = &stop_;
  std::vector<Handled> seen;
  run_child_loop(consumer_, runner_, nullptr, settings_, stop_,
                 [&](const Delivery&, const Handled& h) { seen.push_back(h); });
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].action, Handled::Action::kDeadLettered);
  EXPECT_NE(seen[0].detail.find("over the limit"), std::string::npos);
  EXPECT_EQ(consumer_.acked, std::vector<std::uint64_t>{9});
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(publisher_.published[0].routing_key, "q.dlq");
}

TEST_F(ChildLoopTest, ServicesTheOtherConnectionsAndEndsWhenTheyAreGone) {
  deliver(1);
  deliver(2);
  int calls = 0;
  settings_.service = [&]() -> Status {
    ++calls;
    if (calls == 4) return transient_error("publisher connection closed");
    return ok_status();
  };
  const ChildLoopEnd end = run_child_loop(consumer_, runner_, nullptr, settings_, stop_);
  EXPECT_EQ(end.why, ChildLoopEnd::Why::kBrokerLost);
  EXPECT_EQ(calls, 4);  // after the wait and after the task, twice
  EXPECT_EQ(consumer_.acked.size(), 2U);
}

TEST_F(ChildLoopTest, RecyclesAfterMaxTasks) {
  for (std::uint64_t tag = 1; tag <= 5; ++tag) deliver(tag);
  settings_.max_tasks_per_child = 2;
  const ChildLoopEnd end = run_child_loop(consumer_, runner_, nullptr, settings_, stop_);
  EXPECT_EQ(end.why, ChildLoopEnd::Why::kMaxTasks);
  EXPECT_EQ(exit_code(end), 0);
  EXPECT_EQ(consumer_.acked.size(), 2U);
  EXPECT_EQ(consumer_.deliveries.size(), 3U);  // left for the next child
}

TEST_F(ChildLoopTest, RecyclesAboveMaxMemory) {
  deliver(1);
  settings_.max_memory_per_child = 1;  // any process is above one byte
  const ChildLoopEnd end = run_child_loop(consumer_, runner_, nullptr, settings_, stop_);
  EXPECT_EQ(end.why, ChildLoopEnd::Why::kMaxMemory);
  EXPECT_TRUE(consumer_.acked.empty());
}

TEST_F(ChildLoopTest, HandsBackWhatItCouldNotSettle) {
  deliver(7);
  publisher_.fail = true;
  slices_.outcomes.front() = Result<SliceResult>(transient_error("503"));
  consumer_.stop_when_empty = &stop_;
  run_child_loop(consumer_, runner_, nullptr, settings_, stop_);
  EXPECT_TRUE(consumer_.acked.empty());
  ASSERT_EQ(consumer_.rejected.size(), 1U);
  EXPECT_EQ(consumer_.rejected[0], (std::pair<std::uint64_t, bool>{7, true}));
}

TEST_F(ChildLoopTest, EndsWhenTheBrokerIsGone) {
  deliver(1);
  consumer_.lost_when_empty = true;
  const ChildLoopEnd end = run_child_loop(consumer_, runner_, nullptr, settings_, stop_);
  EXPECT_EQ(end.why, ChildLoopEnd::Why::kBrokerLost);
  EXPECT_EQ(exit_code(end), 75);
  ASSERT_TRUE(end.error.has_value());
  EXPECT_EQ(consumer_.acked.size(), 1U);
}

}  // namespace
}  // namespace gb::worker
