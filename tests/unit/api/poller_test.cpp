#include "api/poller.hpp"

#include <gtest/gtest.h>

#include "sim_fixture.hpp"

namespace gb::api::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class PollerTest : public SimFixture {
 protected:
  PollOptions options() {
    PollOptions o;
    o.interval = seconds(15);
    return o;
  }
  Result<JobSnapshot> poll(const std::string& type_text, const std::string& job_id, PollOptions o) {
    JobPoller poller(*api_, o, *patience_, clock_, clock_);
    const auto type = ExportType::parse(type_text).value();
    return poller.poll(type, job_id, [&](const JobSnapshot& snapshot, int polls) {
      states_.push_back(snapshot.state);
      polls_ = polls;
    });
  }
  std::vector<std::string> states_;
  int polls_ = 0;
};

// The waits between `polls` polls: 1 s, doubling, up to the 15 s interval.
Duration schedule(int polls) {
  Duration total{};
  Duration wait = seconds(1);
  for (int i = 1; i < polls; ++i, wait = std::min<Duration>(wait * 2, seconds(15))) total += wait;
  return total;
}

TEST_F(PollerTest, PollsSoonAtFirstThenDoublingUpToTheInterval) {
  settings_.jobs.push_back({"bulk:users", 100, 50});
  settings_.job_seconds = 120;
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->state, "completed");
  EXPECT_EQ(done->chunks.size(), 2u);
  EXPECT_EQ(states_.back(), "completed");
  // Polls at 0, 1, 3, 7, 15, 30, ... 120 s: only the schedule was slept.
  EXPECT_EQ(polls_, 12);
  EXPECT_EQ(clock_.total_slept(), schedule(polls_));
  EXPECT_EQ(clock_.total_slept(), seconds(120));
  // A long job costs about what the fixed interval did (120 / 15 + 1 = 9 polls).
  EXPECT_LE(polls_, 9 + 3);
  EXPECT_EQ(requests(kBulkStatusRoute), static_cast<std::uint64_t>(polls_));
}

TEST_F(PollerTest, AJobDoneAfterFourSecondsIsSeenDoneWithinSecondsNotAfterAnInterval) {
  settings_.jobs.push_back({"bulk:users", 100, 50});
  settings_.job_seconds = 4;
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->state, "completed");
  // Polls at 0, 1, 3 and 7 s (the fixed interval saw it at 15 s).
  EXPECT_EQ(polls_, 4);
  EXPECT_EQ(clock_.total_slept(), seconds(7));
}

TEST_F(PollerTest, AnalyticsJobEndsAtFulfilled) {
  settings_.jobs.push_back({"conversations", 10, 10});
  start();
  auto done = poll("conversations", first_job_id(), options());
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->state, "FULFILLED");
  EXPECT_EQ(requests(kConversationStatusRoute), static_cast<std::uint64_t>(polls_));
}

struct TerminalCase {
  std::string type;
  std::string fault;  // failed | cancelled | expired
  std::string state;  // as the API spells it
};
void PrintTo(const TerminalCase& c, std::ostream* os) {
  *os << c.type << " ending " << c.state;
}

class PollerTerminalTest : public PollerTest, public ::testing::WithParamInterface<TerminalCase> {};

TEST_P(PollerTerminalTest, EveryFailedTerminalStateEndsThePollAtOnce) {
  const TerminalCase& c = GetParam();
  settings_.jobs.push_back({c.type, 10, 10});
  if (c.fault == "failed") settings_.faults.job_failed.count = 1;
  if (c.fault == "cancelled") settings_.faults.job_cancelled.count = 1;
  if (c.fault == "expired") settings_.faults.job_expired.count = 1;
  start();
  auto done = poll(c.type, first_job_id(), options());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(done.error().message.find("ended " + c.state), std::string::npos) << done.error().describe();
  EXPECT_NE(done.error().message.find(first_job_id()), std::string::npos);
  ASSERT_FALSE(states_.empty());
  EXPECT_EQ(states_.back(), c.state);
  // Nothing after the terminal state: one request per poll, no wait after the last.
  EXPECT_EQ(total_requests() - requests(kTokenRoute), static_cast<std::uint64_t>(polls_));
  EXPECT_EQ(clock_.total_slept(), schedule(polls_));
}

INSTANTIATE_TEST_SUITE_P(States, PollerTerminalTest,
                         ::testing::Values(TerminalCase{"conversations", "failed", "FAILED"},
                                           TerminalCase{"conversations", "cancelled", "CANCELLED"},
                                           TerminalCase{"conversations", "expired", "EXPIRED"},
                                           TerminalCase{"users", "expired", "EXPIRED"},
                                           TerminalCase{"bulk:users", "failed", "failed"},
                                           TerminalCase{"bulk:interactions", "cancelled", "cancelled"}),
                         [](const ::testing::TestParamInfo<TerminalCase>& info) {
                           std::string name = info.param.type + "_" + info.param.state;
                           for (char& c : name) {
                             if (c == ':') c = '_';
                           }
                           return name;
                         });

TEST_F(PollerTest, AJobStillRunningAtMaxJobWaitEndsWithADiagnostic) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.job_seconds = 48 * 3600;
  start();
  PollOptions o = options();
  o.max_job_wait = minutes(10);
  auto done = poll("bulk:users", first_job_id(), o);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(done.error().message.find("after 10m00s (44 polls), the --max-job-wait"), std::string::npos)
      << done.error().describe();
  EXPECT_NE(done.error().message.find(states_.back()), std::string::npos);
  EXPECT_EQ(clock_.total_slept(), minutes(10));  // the last poll is at the deadline, not after it
  EXPECT_EQ(polls_, 44);                         // 0, 1, 3, 7, then every 15 s from 15 s to 600 s
}

TEST_F(PollerTest, ErrorsTakeTheBackoffPathNotTheInterval) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.too_many_requests.count = 2;
  settings_.faults.retry_after_seconds = 4;
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(requests(kBulkStatusRoute, 429), 2u);
  // The two 429s cost their Retry-After (4 s each), not a poll wait each.
  EXPECT_EQ(clock_.total_slept(), schedule(polls_) + seconds(8));
  EXPECT_EQ(requests(kBulkStatusRoute, 200), static_cast<std::uint64_t>(polls_));
}

TEST_F(PollerTest, AnOutageLongerThanTheRetryPolicyDelaysThePollInsteadOfEndingIt) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.server_error.count = 12;  // twice the policy's max_attempts
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->state, "completed");
  EXPECT_EQ(requests(kBulkStatusRoute, 502) + requests(kBulkStatusRoute, 503) + requests(kBulkStatusRoute, 504), 12u);
}

TEST_F(PollerTest, StatusCallsFailingForMaxOutageEndThePollSayingWhatFailedAndForHowLong) {
  // Every status call answers 5xx: today's 24 hours of polling become --max-outage.
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.server_error.probability = 1.0;
  max_outage_ = minutes(5);
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_FALSE(done.ok());
  EXPECT_TRUE(done.error().transient());  // resumable
  const std::string& m = done.error().message;
  EXPECT_NE(m.find("polling job " + first_job_id() +
                   ": every API call has failed for 5m00s (--max-outage 5m00s); "
                   "the last: HTTP 50"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("run the same command again to resume"), std::string::npos) << m;
  EXPECT_EQ(clock_.total_slept(), minutes(5));  // the last try is at the deadline, not after it
  EXPECT_EQ(polls_, 0);
}

TEST_F(PollerTest, ARetryAfterLongerThanThePatienceLeftEndsThePollAtOnce) {
  // A 429 asking for a day used to be waited out 5 minutes at a time, for ever.
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.too_many_requests.count = 1;
  settings_.faults.retry_after_seconds = 24 * 3600;
  max_outage_ = minutes(5);
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message.find("the server asked to wait 1d00h before trying again, more than the 5m00s left "
                                      "of --max-outage (HTTP 429: "),
            std::string::npos)
      << done.error().message;
  EXPECT_EQ(done.error().retry_after, std::chrono::hours(24));
  EXPECT_EQ(clock_.total_slept(), seconds(0));
  EXPECT_EQ(requests(kBulkStatusRoute), 1u);
}

TEST_F(PollerTest, AnInvalidRetryAfterIsIgnoredAndTheBackoffApplies) {
  for (const std::string value : {"-5", "soon", " "}) {
    SCOPED_TRACE(value);
    settings_.jobs = {{"bulk:users", 10, 10}};
    settings_.faults.too_many_requests.count = 2;
    settings_.faults.retry_after_text = value;
    server_.reset();
    const Duration before = clock_.total_slept();
    states_.clear();
    start();
    auto done = poll("bulk:users", first_job_id(), options());
    ASSERT_TRUE(done.ok()) << done.error().describe();
    EXPECT_EQ(requests(kBulkStatusRoute, 429), 2u);
    // Two backoffs of at most 0.5 s and 1 s (full jitter), not 60 s each.
    const Duration slept = clock_.total_slept() - before;
    EXPECT_GE(slept, schedule(polls_));
    EXPECT_LE(slept, schedule(polls_) + milliseconds(1500));
  }
}

TEST_F(PollerTest, APermanentErrorEndsThePoll) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.forbidden.count = 1;
  start();
  auto done = poll("bulk:users", first_job_id(), options());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().http_status, 403);
  EXPECT_EQ(requests(kBulkStatusRoute), 1u);
  EXPECT_EQ(polls_, 0);
  EXPECT_EQ(clock_.total_slept(), seconds(0));
}

TEST_F(PollerTest, AnUnknownJobEndsThePollAsNotFound) {
  start();
  auto done = poll("bulk:users", "no-such-job", options());
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().http_status, 404);
  EXPECT_EQ(requests(kBulkStatusRoute), 1u);
}

}  // namespace
}  // namespace gb::api::testing
