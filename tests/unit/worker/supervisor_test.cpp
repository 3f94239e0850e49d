// The supervisor with real child processes: children that crash, hang, exit,
// grow, and a real SIGTERM to this process. No broker needed.
#include "worker/supervisor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "worker/time_limits.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

SupervisorSettings fast(int children = 1) {
  SupervisorSettings s;
  s.children = children;
  s.grace = seconds(5);
  s.restart_backoff_base = milliseconds(20);
  s.restart_backoff_cap = milliseconds(160);
  s.healthy_after = seconds(30);
  s.memory_check_interval = milliseconds(20);
  return s;
}

// Waits for the warm shutdown, then returns 0.
int wait_for_stop(const ChildContext& child) {
  while (!child.stop->wait_for(seconds(60))) {
  }
  return 0;
}

struct Recorder final : SupervisorObserver {
  void on_started(int slot, int generation, pid_t pid) override {
    starts.push_back({slot, generation});
    (void)pid;
    if (after_start) after_start(slot, generation);
  }
  void on_exited(const ChildExit& exit, std::optional<milliseconds> restart_in) override {
    exits.push_back(exit);
    restarts.push_back(restart_in);
    if (after_exit) after_exit(exit);
  }
  void on_over_memory(int slot, pid_t /*pid*/, std::uint64_t rss) override { over_memory.emplace_back(slot, rss); }
  void on_shutdown(bool cold) override { shutdowns.push_back(cold); }

  std::vector<std::pair<int, int>> starts;
  std::vector<ChildExit> exits;
  std::vector<std::optional<milliseconds>> restarts;
  std::vector<std::pair<int, std::uint64_t>> over_memory;
  std::vector<bool> shutdowns;
  std::function<void(int slot, int generation)> after_start;
  std::function<void(const ChildExit&)> after_exit;
};

TEST(Supervisor, ReplacesAChildThatDies) {
  Recorder recorder;
  recorder.after_start = [](int, int generation) {
    if (generation == 2) Supervisor::request_stop();
  };
  Supervisor supervisor(
      fast(),
      [](const ChildContext& child) {
        if (child.generation == 0) ::_exit(3);
        if (child.generation == 1) ::raise(SIGKILL);
        return wait_for_stop(child);
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->started, 3);
  EXPECT_EQ(report->crashed, 2);
  EXPECT_FALSE(report->cold);
  ASSERT_EQ(recorder.exits.size(), 3U);
  EXPECT_FALSE(recorder.exits[0].signaled);
  EXPECT_EQ(recorder.exits[0].status, 3);
  EXPECT_TRUE(recorder.exits[1].signaled);
  EXPECT_EQ(recorder.exits[1].status, SIGKILL);
  EXPECT_TRUE(recorder.exits[2].clean());
  EXPECT_EQ(recorder.restarts[0], milliseconds(20));
  EXPECT_EQ(recorder.restarts[1], milliseconds(40));
  EXPECT_EQ(recorder.restarts[2], std::nullopt);  // shutting down: not replaced
  EXPECT_EQ(recorder.shutdowns, std::vector<bool>{false});
}

TEST(Supervisor, ReplacesACleanExitAtOnce) {
  Recorder recorder;
  recorder.after_start = [](int, int generation) {
    if (generation == 3) Supervisor::request_stop();
  };
  Supervisor supervisor(
      fast(),
      [](const ChildContext& child) {
        return child.generation < 3 ? 0 : wait_for_stop(child);  // recycled itself (max tasks) three times
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->crashed, 0);
  ASSERT_EQ(recorder.restarts.size(), 4U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(recorder.restarts[i], milliseconds(0));
}

TEST(Supervisor, BacksOffACrashLoop) {
  Recorder recorder;
  recorder.after_exit = [&](const ChildExit&) {
    if (recorder.exits.size() == 6) Supervisor::request_stop();
  };
  const auto start = Steady::now();
  Supervisor supervisor(
      fast(), [](const ChildContext&) -> int { ::_exit(1); }, &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->started, 6);
  const std::vector<std::optional<milliseconds>> expected{milliseconds(20),  milliseconds(40),  milliseconds(80),
                                                          milliseconds(160), milliseconds(160), milliseconds(160)};
  EXPECT_EQ(recorder.restarts, expected);
  EXPECT_GE(Steady::now() - start, milliseconds(20 + 40 + 80 + 160 + 160));
}

TEST(Supervisor, SigtermIsAWarmShutdown) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gb_supervisor_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Recorder recorder;
  recorder.after_start = [&](int, int) {
    if (recorder.starts.size() == 2) ::kill(::getpid(), SIGTERM);  // the real signal, to this process
  };
  Supervisor supervisor(
      fast(2),
      [&](const ChildContext& child) {
        wait_for_stop(child);
        std::this_thread::sleep_for(milliseconds(100));  // the slice in hand finishes
        std::ofstream(dir / ("done-" + std::to_string(child.slot))) << "landed";
        return 0;
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->cold);
  EXPECT_EQ(report->killed, 0);
  ASSERT_EQ(recorder.exits.size(), 2U);
  for (const auto& exit : recorder.exits) EXPECT_TRUE(exit.clean());
  EXPECT_TRUE(std::filesystem::exists(dir / "done-0"));
  EXPECT_TRUE(std::filesystem::exists(dir / "done-1"));
  std::filesystem::remove_all(dir);
}

// A child that does not finish within the grace period is killed.
TEST(Supervisor, GracePeriodEndsInSigkill) {
  SupervisorSettings settings = fast(2);
  settings.grace = milliseconds(200);
  Recorder recorder;
  recorder.after_start = [&](int, int) {
    if (recorder.starts.size() == 2) Supervisor::request_stop();
  };
  const auto start = Steady::now();
  Supervisor supervisor(
      settings,
      [](const ChildContext&) {
        for (;;) std::this_thread::sleep_for(seconds(1));  // deaf to the stop
        return 0;
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->cold);
  EXPECT_EQ(report->killed, 2);
  for (const auto& exit : recorder.exits) {
    EXPECT_TRUE(exit.signaled);
    EXPECT_EQ(exit.status, SIGKILL);
  }
  EXPECT_LT(Steady::now() - start, seconds(4));
  EXPECT_EQ(recorder.shutdowns, (std::vector<bool>{false, true}));
}

TEST(Supervisor, SecondSignalIsAColdShutdown) {
  SupervisorSettings settings = fast(2);
  settings.grace = seconds(60);
  Recorder recorder;
  recorder.after_start = [&](int, int) {
    if (recorder.starts.size() != 2) return;
    ::kill(::getpid(), SIGTERM);
    ::kill(::getpid(), SIGINT);  // Ctrl-C after the SIGTERM: no more waiting
  };
  const auto start = Steady::now();
  Supervisor supervisor(
      settings,
      [](const ChildContext&) {
        for (;;) std::this_thread::sleep_for(seconds(1));
        return 0;
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->cold);
  EXPECT_EQ(report->killed, 2);
  EXPECT_LT(Steady::now() - start, seconds(10));
}

TEST(Supervisor, ChildrenIgnoreSigintFromTheTerminal) {
  Recorder recorder;
  Supervisor supervisor(
      fast(),
      [](const ChildContext& child) {
        if (child.generation == 0) {
          ::kill(::getpid(), SIGINT);  // what a terminal's Ctrl-C does to the whole group
          std::this_thread::sleep_for(milliseconds(200));
          return 0;  // still alive: recycles itself
        }
        Supervisor::request_stop();  // no-op in a child: the parent's pipe is not ours
        return wait_for_stop(child);
      },
      &recorder);
  recorder.after_exit = [&](const ChildExit& exit) {
    if (exit.generation == 0) Supervisor::request_stop();
  };
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  ASSERT_GE(recorder.exits.size(), 1U);
  EXPECT_TRUE(recorder.exits[0].clean());
}

// The hard time limit: a kernel timer SIGKILLs a stuck child, the
// supervisor replaces it; a disarmed timer never fires.
TEST(Supervisor, HardTimeLimitKillsAStuckChild) {
  Recorder recorder;
  recorder.after_start = [](int, int generation) {
    if (generation == 2) Supervisor::request_stop();
  };
  Supervisor supervisor(
      fast(),
      [](const ChildContext& child) {
        HardTimeLimit limit;
        if (child.generation == 0) {
          limit.arm(milliseconds(100));
          std::this_thread::sleep_for(seconds(30));  // stuck
          return 0;
        }
        if (child.generation == 1) {
          limit.arm(milliseconds(100));
          limit.disarm();
          limit.arm(seconds(60));   // re-armed for the next slice...
          limit.arm(std::nullopt);  // ...which ended in time
          std::this_thread::sleep_for(milliseconds(300));
          return 0;
        }
        return wait_for_stop(child);
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(recorder.exits.size(), 3U);
  EXPECT_TRUE(recorder.exits[0].signaled);
  EXPECT_EQ(recorder.exits[0].status, SIGKILL);
  EXPECT_LT(recorder.exits[0].lifetime, seconds(5));
  EXPECT_TRUE(recorder.exits[1].clean());
  EXPECT_GE(recorder.exits[1].lifetime, milliseconds(300));
}

TEST(Supervisor, RecyclesAChildAboveTheMemoryLimit) {
  const auto baseline = resident_bytes();
  ASSERT_TRUE(baseline.has_value());
  SupervisorSettings settings = fast();
  settings.max_memory_per_child = *baseline + (std::uint64_t{64} << 20);
  Recorder recorder;
  recorder.after_start = [](int, int generation) {
    if (generation == 1) Supervisor::request_stop();
  };
  Supervisor supervisor(
      settings,
      [](const ChildContext& child) {
        if (child.generation == 0) {
          std::vector<char> hog(std::size_t{160} << 20);
          std::memset(hog.data(), 1, hog.size());  // resident, not only reserved
          wait_for_stop(child);                    // the supervisor's SIGTERM: finish, exit 0
          return hog[12345] == 1 ? 0 : 1;
        }
        return wait_for_stop(child);
      },
      &recorder);
  auto report = supervisor.run();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(recorder.over_memory.size(), 1U);
  EXPECT_EQ(recorder.over_memory[0].first, 0);
  EXPECT_GT(recorder.over_memory[0].second, settings.max_memory_per_child);
  ASSERT_GE(recorder.exits.size(), 1U);
  EXPECT_TRUE(recorder.exits[0].clean());
  EXPECT_EQ(recorder.restarts[0], milliseconds(0));
}

TEST(Supervisor, ReadsResidentMemory) {
  EXPECT_GT(resident_bytes().value_or(0), 0U);
  EXPECT_GT(resident_bytes(::getpid()).value_or(0), 0U);
  EXPECT_EQ(resident_bytes(-5), std::nullopt);
}

TEST(Supervisor, OneAtATime) {
  Recorder recorder;
  std::optional<bool> nested_ok;
  recorder.after_start = [&](int, int) {
    Supervisor nested(fast(), [](const ChildContext&) { return 0; });
    nested_ok = nested.run().ok();
    Supervisor::request_stop();
  };
  Supervisor supervisor(fast(), wait_for_stop, &recorder);
  ASSERT_TRUE(supervisor.run().ok());
  EXPECT_EQ(nested_ok, false);
}

}  // namespace
}  // namespace gb::worker
