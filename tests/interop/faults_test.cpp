// `genesys-bulk worker` when things go wrong, against a private RabbitMQ,
// the simulator with faults and Python Celery as the producer: a child
// killed mid-landing, the broker restarted mid-job, poison messages, an API
// failing transiently for ever or refusing the token, a job longer than the
// task slice, soft and hard time limits, SIGTERM mid-task. After each, the
// SQLite store holds exactly the job's records, each once.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../integration/ledger_check.hpp"
#include "interop_harness.hpp"

namespace gb::interop {
namespace {

// Chunks the ledger calls landed so far (0 while the store does not exist).
int landed_chunks(const std::string& db_path) {
  if (!fs::exists(db_path)) return 0;
  const auto c = testing::check_ledger(db_path);
  return c.landed_chunks < 0 ? 0 : c.landed_chunks;
}

void expect_exact(Interop& world, std::size_t job = 0) {
  const auto check = world.check(job);
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.duplicates, 0u);
  const auto ledger = testing::check_ledger(world.db_path());
  EXPECT_EQ(ledger.mismatched, 0) << "a chunk's rows disagree with its ledger row (a partial chunk?)";
}

// The tools the tests read the broker with (no worker involved): a message
// published raw is seen by peek, and stays in its queue.
TEST(Harness, BrokerToolPublishesAndPeeksWithoutTaking) {
  Interop world("harness", quick_simulator(10, 10));
  GB_REQUIRE_BROKER(world);
  const Finished f = world.broker_tool({"publish-raw", world.dlq(), "--declare", "--body", "{\"reason\": \"test\"}"});
  ASSERT_EQ(f.exit_code, 0) << f.output;
  for (int i = 0; i < 2; ++i) {
    const auto letters = world.dead_letters();
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0], "{\"reason\": \"test\"}");
  }
  EXPECT_EQ(world.dlq_depth(), 1);
}

// kill -9 of the child while it lands: the message comes back (reject on
// worker lost), the supervisor starts a new child, and the ledger makes the
// second landing add exactly what the first did not.
TEST(Faults, ChildKilledMidLandingLandsTheExactSetOnce) {
  simulator::Settings sim = quick_simulator(20000, 500);
  sim.faults.slow = {0.3, 0};  // slow some chunk downloads so that the landing lasts
  sim.faults.slow_delay = 300ms;
  Interop world("kill9", sim);
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker();
  auto producer = world.start_producer("rpc://", "bulk_processor.process_bulk_job_task", world.process_args());
  ASSERT_TRUE(eventually([&] { return landed_chunks(world.db_path()) >= 3; }, 60s)) << worker->log();
  const auto before = children_of(worker->pid());
  ASSERT_EQ(before.size(), 1u);
  ::kill(before[0], SIGKILL);
  // The supervisor replaces it.
  EXPECT_TRUE(eventually(
      [&] {
        const auto now = children_of(worker->pid());
        return now.size() == 1 && now[0] != before[0];
      },
      30s))
      << worker->log();
  const auto lines = Interop::finish_producer(*producer, 120s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ok) << lines[0].raw << "\nworker:\n" << worker->log();
  EXPECT_EQ(lines[0].records, 20000);
  expect_exact(world);
}

// RabbitMQ stops (gracefully: connections closed with CONNECTION_FORCED) and
// starts again while the job runs: the worker reconnects with backoff and
// the job completes. The result goes through Redis (an rpc:// reply queue
// is not durable, it would not survive the restart, nor would Python's).
TEST(Faults, BrokerRestartedMidJobTheJobCompletes) {
  simulator::Settings sim = quick_simulator(6000, 500);
  sim.job_seconds = 4;
  Interop world("restart", sim);
  GB_REQUIRE_BROKER(world);
  fixtures::RedisServer redis;
  auto worker = world.start_worker({redis.url(), 1, {}});
  const auto sent =
      world.produce(redis.url(), "bulk_processor.process_bulk_job_task", world.process_args(), {"--no-wait"});
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(eventually(
      [&] {
        const auto row = queue_row(world.rabbit(), world.queue());
        return row && row->messages == 0;  // taken: held by the worker or waiting in the delay ladder
      },
      30s));
  std::this_thread::sleep_for(500ms);
  world.rabbit().restart();
  // Python asks Redis for the result by id (AsyncResult(id).get()).
  SpawnOptions o;
  o.argv = {kPython,
            "-c",
            "import json,sys\nfrom celery import Celery\napp = Celery(broker=sys.argv[1], backend=sys.argv[2])\n"
            "print(json.dumps({'ok': True, 'task_id': sys.argv[3], 'result': app.AsyncResult(sys.argv[3]).get("
            "timeout=120)}))\n",
            world.rabbit().url(),
            redis.url(),
            sent[0].task_id};
  o.env = Interop::python_env();
  const Finished f = fixtures::run(o, world.dir(), 150s);
  const auto lines = parse_producer_output(f.output);
  ASSERT_EQ(lines.size(), 1u) << f.output << "\nworker:\n" << worker->log();
  EXPECT_EQ(lines[0].records, 6000);
  EXPECT_TRUE(worker->wait(0ms) == std::nullopt) << "the worker ended: " << worker->log();
  expect_exact(world);
}

// Messages that cannot be run go to the dead letters with the reason and
// the raw message; the worker keeps consuming (a good task after them runs).
TEST(Faults, PoisonMessagesGoToTheDeadLettersAndTheWorkerKeepsConsuming) {
  Interop world("poison", quick_simulator(1000, 500));
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker();
  Finished f =
      world.broker_tool({"publish-raw", world.queue(), "--body", "this is {not json", "--task",
                         "bulk_processor.process_bulk_job_task", "--id", "11111111-1111-4111-8111-111111111111"});
  ASSERT_EQ(f.exit_code, 0) << f.output;
  f = world.broker_tool({"publish-raw", world.queue(), "--body", "<xml/>", "--content-type", "application/xml",
                         "--task", "bulk_processor.process_bulk_job_task", "--id",
                         "22222222-2222-4222-8222-222222222222"});
  ASSERT_EQ(f.exit_code, 0) << f.output;
  auto sent = world.produce("rpc://", "bulk_processor.unknown_task", "[1, 2]", {"--no-wait"});
  ASSERT_EQ(sent.size(), 1u);
  const std::string unknown_id = sent[0].task_id;
  sent = world.produce("rpc://", "bulk_processor.process_bulk_job_task", "[\"only-one-argument\"]", {"--no-wait"});
  ASSERT_EQ(sent.size(), 1u);
  const std::string bad_args_id = sent[0].task_id;

  const auto good = world.produce("rpc://", "bulk_processor.process_bulk_job_task", world.process_args());
  ASSERT_EQ(good.size(), 1u);
  EXPECT_TRUE(good[0].ok) << good[0].raw << "\nworker:\n" << worker->log();
  ASSERT_TRUE(eventually([&] { return world.dlq_depth() == 4; }, 30s)) << worker->log();
  const auto letters = world.dead_letters();
  ASSERT_EQ(letters.size(), 4u);
  std::string all;
  for (const auto& l : letters) all += l + "\n";
  for (const std::string& id : {std::string("11111111-1111-4111-8111-111111111111"),
                                std::string("22222222-2222-4222-8222-222222222222"), unknown_id, bad_args_id}) {
    EXPECT_NE(all.find(id), std::string::npos) << id << " is not in the dead letters:\n" << all;
  }
  for (const auto& l : letters) {
    EXPECT_NE(l.find("\"reason\""), std::string::npos) << l;
    EXPECT_NE(l.find("\"message\""), std::string::npos) << "no original message: " << l;
  }
  EXPECT_TRUE(worker->wait(0ms) == std::nullopt) << worker->log();
  expect_exact(world);
}

// Every API call answers 429 (Retry-After: 1): each delivery gives up after
// --max-outage (the slice ends, "retry later"), the task is retried exactly
// --max-retries times through the broker's delay ladder, no request comes
// sooner than Retry-After after the one before (as the simulator saw them),
// then it is dead-lettered and Python's get() raises.
TEST(Faults, TransientForeverDeadLettersAfterExactlyMaxRetries) {
  simulator::Settings sim = quick_simulator(1000, 500);
  sim.faults.too_many_requests = {1.0, 0};
  sim.faults.retry_after_seconds = 1;
  Interop world("transient", sim);
  GB_REQUIRE_BROKER(world);
  StatsSampler stats(world.sim());
  auto worker = world.start_worker(
      {"rpc://", 1, {"--max-retries", "2", "--max-outage", "2", "--retry-backoff", "1", "--retry-backoff-max", "2"}});
  const auto lines =
      world.produce("rpc://", "bulk_processor.process_bulk_job_task", world.process_args(), {"--timeout", "90"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].ok) << lines[0].raw;
  EXPECT_EQ(lines[0].state, "FAILURE") << lines[0].raw;
  ASSERT_TRUE(eventually([&] { return world.dlq_depth() == 1; }, 10s)) << worker->log();
  const auto letters = world.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_NE(letters[0].find("\"retries\":2"), std::string::npos) << letters[0];
  EXPECT_NE(letters[0].find("\"http_status\":429"), std::string::npos) << letters[0];
  EXPECT_EQ(occurrences(worker->log(), "task retried"), 2) << worker->log();
  EXPECT_EQ(occurrences(worker->log(), "task dead-lettered"), 1) << worker->log();
  // At least one request per delivery, none sooner than Retry-After.
  const auto times = stats.times(kJobStatusRoute);
  ASSERT_GE(times.size(), 3u) << worker->log();
  for (std::size_t i = 1; i < times.size(); ++i) {
    EXPECT_GE(times[i] - times[i - 1], 900ms) << "request " << i << " came sooner than Retry-After";
  }
}

// 401 for ever (every token is revoked as soon as it is used): one new
// token, one more try, then the dead letters at once, never retried.
TEST(Faults, UnauthorizedForeverDeadLettersAtOnceAfterOneTokenRetry) {
  simulator::Settings sim = quick_simulator(1000, 500);
  sim.faults.revoke_token = {1.0, 0};
  Interop world("unauth", sim);
  GB_REQUIRE_BROKER(world);
  StatsSampler stats(world.sim());
  auto worker = world.start_worker({"rpc://", 1, {"--max-retries", "3"}});
  const auto lines =
      world.produce("rpc://", "bulk_processor.process_bulk_job_task", world.process_args(), {"--timeout", "60"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].ok) << lines[0].raw;
  EXPECT_NE(lines[0].exc_message.find("401"), std::string::npos) << lines[0].raw;
  ASSERT_TRUE(eventually([&] { return world.dlq_depth() == 1; }, 10s)) << worker->log();
  const auto letters = world.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_NE(letters[0].find("\"retries\":0"), std::string::npos) << letters[0];
  EXPECT_EQ(stats.count(kTokenRoute), 2) << "one token, then one retry of the token";
  EXPECT_EQ(stats.count(kJobStatusRoute), 2) << worker->log();
}

// A job that runs longer than --task-slice: polled through continuations
// (the task re-published through the delay ladder, then acked), one result
// at the end; no delivery is held unacknowledged longer than the slice, as
// the broker's own listing shows while it runs.
TEST(Faults, JobLongerThanTheSliceFinishesThroughContinuations) {
  simulator::Settings sim = quick_simulator(3000, 500);
  sim.job_seconds = 7;
  Interop world("slice", sim);
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker({"rpc://", 1, {"--task-slice", "2"}});
  auto producer = world.start_producer("rpc://", "bulk_processor.process_bulk_job_task", world.process_args());
  // Sample the work queue's unacknowledged count (rabbitmqctl takes ~1 s a call).
  std::chrono::steady_clock::duration longest{};
  std::optional<std::chrono::steady_clock::time_point> held_since;
  bool saw_delay = false;
  while (producer->wait(0ms) == std::nullopt) {
    const auto now = std::chrono::steady_clock::now();
    bool held = false;
    for (const auto& row : world.rabbit().list_queues()) {
      if (row.name == world.queue() && row.messages_unacknowledged > 0) held = true;
      if (row.name.rfind(world.queue() + ".delay.", 0) == 0 && row.messages > 0) saw_delay = true;
    }
    if (held && !held_since) held_since = now;
    if (!held) held_since.reset();
    if (held_since) longest = std::max(longest, now - *held_since);
    if (now - held_since.value_or(now) > 60s) break;
  }
  const auto lines = Interop::finish_producer(*producer, 60s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ok) << lines[0].raw << "\nworker:\n" << worker->log();
  EXPECT_EQ(lines[0].records, 3000);
  EXPECT_TRUE(saw_delay) << "no continuation went through the delay ladder";
  // The slice (2 s) plus one sampling interval of rabbitmqctl.
  EXPECT_LE(longest, 4s) << "a delivery stayed unacknowledged for "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms";
  EXPECT_NE(worker->log().find("contin"), std::string::npos) << worker->log();
  expect_exact(world);
}

// A soft time limit that fires while chunks download (some are slow): the
// slice is cancelled at a safe point, retried, and no chunk is half-written.
TEST(Faults, SoftLimitMidChunkIsRetriedWithoutAPartialChunk) {
  simulator::Settings sim = quick_simulator(4000, 500);
  sim.job_seconds = 0.2;
  sim.faults.slow = {0.25, 0};  // a quarter of the responses (chunks mostly) take 2.5 s
  sim.faults.slow_delay = 2500ms;
  Interop world("soft", sim);
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker(
      {"rpc://",
       1,
       {"--soft-time-limit", "1", "--max-retries", "12", "--retry-backoff", "1", "--retry-backoff-max", "1"}});
  const auto lines =
      world.produce("rpc://", "bulk_processor.process_bulk_job_task", world.process_args(), {"--timeout", "90"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ok) << lines[0].raw << "\nworker:\n" << worker->log();
  EXPECT_EQ(lines[0].records, 4000);
  EXPECT_EQ(world.dlq_depth(), 0);
  EXPECT_NE(worker->log().find("retr"), std::string::npos) << "no retry logged:\n" << worker->log();
  expect_exact(world);
}

// A hard time limit: the child stuck in a slow response is killed, the
// supervisor replaces it, the message is redelivered and the job lands.
TEST(Faults, HardLimitReplacesTheChildAndRedelivers) {
  simulator::Settings sim = quick_simulator(2000, 500);
  sim.faults.slow = {0.0, 1};  // the first API response takes 8 s
  sim.faults.slow_delay = 8000ms;
  Interop world("hard", sim);
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker({"rpc://", 1, {"--time-limit", "2"}});
  const auto first = children_of(worker->pid());
  ASSERT_EQ(first.size(), 1u);
  const auto lines =
      world.produce("rpc://", "bulk_processor.process_bulk_job_task", world.process_args(), {"--timeout", "90"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ok) << lines[0].raw << "\nworker:\n" << worker->log();
  EXPECT_EQ(lines[0].records, 2000);
  const auto now = children_of(worker->pid());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], first[0]) << "the child was not replaced";
  expect_exact(world);
}

// SIGTERM while a task lands: a warm shutdown (the worker stops consuming,
// ends within its grace period, exit 0); what was not acked comes back to
// the next worker, which completes the job: nothing lost, nothing twice.
TEST(Faults, SigtermMidTaskIsAWarmShutdownAndNothingIsLost) {
  simulator::Settings sim = quick_simulator(12000, 500);
  sim.faults.slow = {0.3, 0};
  sim.faults.slow_delay = 300ms;
  Interop world("sigterm", sim);
  GB_REQUIRE_BROKER(world);
  auto worker = world.start_worker({"rpc://", 1, {"--task-slice", "3"}});
  auto producer = world.start_producer("rpc://", "bulk_processor.process_bulk_job_task", world.process_args());
  ASSERT_TRUE(eventually([&] { return landed_chunks(world.db_path()) >= 2; }, 60s)) << worker->log();
  worker->signal(SIGTERM);
  const auto code = worker->wait(30s);
  ASSERT_TRUE(code.has_value()) << "no warm shutdown within 30 s: " << worker->log();
  EXPECT_EQ(*code, 0) << worker->log();
  EXPECT_LT(landed_chunks(world.db_path()), 24) << "the job finished before the signal: test too fast";
  auto second = world.start_worker({"rpc://", 1, {"--task-slice", "3"}});
  const auto lines = Interop::finish_producer(*producer, 120s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ok) << lines[0].raw << "\nworker:\n" << second->log();
  EXPECT_EQ(lines[0].records, 12000);
  expect_exact(world);
}

}  // namespace
}  // namespace gb::interop
