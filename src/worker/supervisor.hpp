#pragma once
// `worker --concurrency N` (issue 7, item 8): a parent that forks N child
// processes, each running `child_main` (one broker connection, one task at a
// time), and keeps N alive.
//
// - A child that dies is replaced; one that crashes again soon after its
//   start waits longer each time (doubling from restart_backoff_base up to
//   restart_backoff_cap), so a crash loop does not spin. A clean exit (code 0:
//   the child recycled itself after --max-tasks-per-child, or finished after
//   being asked to) is replaced at once.
// - Memory: above max_memory_per_child (RSS, read from /proc/<pid>/statm)
//   the supervisor sends the child SIGTERM: it finishes its current task and
//   exits 0, and a fresh child takes its place. (The child also checks itself
//   between tasks; this catches growth inside a long slice.)
// - SIGTERM or SIGINT: warm shutdown. No more restarts; every child gets
//   SIGTERM (stop consuming, finish the slice in hand); whatever is still
//   running after `grace` is killed. A second SIGTERM/SIGINT: cold shutdown,
//   SIGKILL now. Either way nothing is lost: an unacked message goes back to
//   its queue when the child's connection closes (acks late).
// - Children ignore SIGINT (a terminal's Ctrl-C reaches the whole process
//   group; the supervisor decides), get SIGTERM if the supervisor dies
//   (PR_SET_PDEATHSIG), and leave through _exit (no atexit handlers or static
//   destructors of the parent's objects run twice).
//
// One Supervisor runs at a time per process (it owns the process's SIGTERM,
// SIGINT and SIGCHLD handlers while run() runs, and restores them after).
// Fork before starting threads: only the calling thread exists in a child.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "base/result.hpp"
#include "base/stop.hpp"

namespace gb::worker {

struct SupervisorSettings {
  int children = 1;                                           // --concurrency
  std::chrono::milliseconds grace{std::chrono::seconds(60)};  // warm shutdown: in-flight slices get this long
  std::chrono::milliseconds restart_backoff_base{250};
  std::chrono::milliseconds restart_backoff_cap{std::chrono::seconds(30)};
  std::chrono::milliseconds healthy_after{std::chrono::seconds(10)};  // a child living this long resets its backoff
  std::uint64_t max_memory_per_child = 0;                             // RSS bytes; 0 = unlimited
  std::chrono::milliseconds memory_check_interval{std::chrono::seconds(1)};
};

struct ChildContext {
  int slot = 0;        // 0 .. children-1, kept by a replacement
  int generation = 0;  // how many children this slot had before this one
  // Requested on SIGTERM (warm shutdown, memory recycle): stop taking tasks,
  // finish the one in hand, return 0. Not process_stop(), whose pipe the
  // parent may share.
  const StopSignal* stop = nullptr;
};

// Runs in the child; its return value is the child's exit code. An exception
// escaping it exits with 70 (EX_SOFTWARE).
using ChildMain = std::function<int(const ChildContext&)>;

struct ChildExit {
  int slot = 0;
  int generation = 0;
  pid_t pid = 0;
  bool signaled = false;  // killed by `status` (a signal number), else exited with `status`
  int status = 0;
  std::chrono::milliseconds lifetime{0};
  bool clean() const { return !signaled && status == 0; }
};

// Told from run()'s thread, in order; may call Supervisor::request_stop().
class SupervisorObserver {
 public:
  virtual ~SupervisorObserver() = default;
  virtual void on_started(int /*slot*/, int /*generation*/, pid_t /*pid*/) {}
  // restart_in: nullopt when the slot is not restarted (shutting down).
  virtual void on_exited(const ChildExit& /*exit*/, std::optional<std::chrono::milliseconds> /*restart_in*/) {}
  virtual void on_over_memory(int /*slot*/, pid_t /*pid*/, std::uint64_t /*rss_bytes*/) {}
  virtual void on_shutdown(bool /*cold*/) {}
};

struct SupervisorReport {
  int started = 0;    // children forked, replacements included
  int crashed = 0;    // exits that were not clean
  bool cold = false;  // a second signal, or the grace period ran out
  int killed = 0;     // children SIGKILLed by the shutdown
};

class Supervisor {
 public:
  Supervisor(SupervisorSettings settings, ChildMain child_main, SupervisorObserver* observer = nullptr);

  // Runs until a shutdown has reaped every child. An Error only when the
  // supervisor itself cannot work (no pipe, no signal handlers); a failed
  // fork is retried like a crash.
  Result<SupervisorReport> run();

  // As if SIGTERM arrived (a second call: cold). Async-signal-safe; callable
  // from any thread while run() runs.
  static void request_stop() noexcept;

 private:
  SupervisorSettings settings_;
  ChildMain child_main_;
  SupervisorObserver* observer_;
};

// Resident set size of a process (pid 0: this one) from /proc/<pid>/statm;
// nullopt if it is gone.
std::optional<std::uint64_t> resident_bytes(pid_t pid = 0);

}  // namespace gb::worker
