#include "worker/supervisor.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "worker/detail/signal_pipe.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr int kExitSoftware = 70;  // EX_SOFTWARE: child_main threw

struct Slot {
  pid_t pid = 0;  // 0: not running
  int generation = 0;
  int crashes = 0;  // in a row, each soon after its start
  Steady::time_point started;
  std::optional<Steady::time_point> restart_at;  // set: start a child then
  bool asked_to_stop = false;
};

[[noreturn]] void run_child(const ChildMain& child_main, detail::SignalPipe& pipe, const sigset_t& mask, pid_t parent,
                            int slot, int generation) {
  int code = kExitSoftware;
  try {
    StopSignal stop;
    pipe.become_child(stop, mask, parent);
    const ChildContext context{slot, generation, &stop};
    code = child_main(context);
  } catch (...) {
    code = kExitSoftware;
  }
  std::fflush(nullptr);
  ::_exit(code);
}

milliseconds backoff(const SupervisorSettings& s, int crashes) {
  milliseconds delay = s.restart_backoff_base;
  for (int i = 1; i < crashes && delay < s.restart_backoff_cap; ++i) delay *= 2;
  return std::min(delay, s.restart_backoff_cap);
}

}  // namespace

Supervisor::Supervisor(SupervisorSettings settings, ChildMain child_main, SupervisorObserver* observer)
    : settings_(settings), child_main_(std::move(child_main)), observer_(observer) {}

void Supervisor::request_stop() noexcept {
  detail::SignalPipe::request_stop();
}

Result<SupervisorReport> Supervisor::run() {
  auto installed = detail::SignalPipe::install();
  if (!installed) return std::move(installed).error();
  detail::SignalPipe& pipe = **installed;
  SupervisorObserver quiet;
  SupervisorObserver& observer = observer_ != nullptr ? *observer_ : quiet;

  SupervisorReport report;
  std::vector<Slot> slots(static_cast<std::size_t>(std::max(1, settings_.children)));
  for (auto& slot : slots) slot.restart_at = Steady::now();
  enum class Phase { kRunning, kWarm, kCold } phase = Phase::kRunning;
  Steady::time_point warm_deadline;
  Steady::time_point next_memory_check = Steady::now() + settings_.memory_check_interval;

  const auto signal_all = [&](int signo) {
    int signalled = 0;
    for (auto& slot : slots) {
      slot.restart_at.reset();
      if (slot.pid > 0 && ::kill(slot.pid, signo) == 0) ++signalled;
    }
    return signalled;
  };
  const auto go_cold = [&] {
    phase = Phase::kCold;
    report.cold = true;
    observer.on_shutdown(true);
    report.killed += signal_all(SIGKILL);
  };
  const auto start = [&](std::size_t index) {
    Slot& slot = slots[index];
    slot.restart_at.reset();
    slot.asked_to_stop = false;
    // Blocked across fork: the child must not run the parent's handler
    // before it has its own.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, &old);
    std::fflush(nullptr);  // or buffered output is written twice
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) run_child(child_main_, pipe, old, parent, static_cast<int>(index), slot.generation);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {  // out of processes or memory for now: like a crash
      ++slot.crashes;
      slot.restart_at = Steady::now() + backoff(settings_, slot.crashes);
      return;
    }
    slot.pid = pid;
    slot.started = Steady::now();
    ++report.started;
    observer.on_started(static_cast<int>(index), slot.generation, pid);
  };
  const auto reap = [&] {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Slot& slot = slots[i];
      int status = 0;
      if (slot.pid <= 0 || ::waitpid(slot.pid, &status, WNOHANG) != slot.pid) continue;
      const auto now = Steady::now();
      ChildExit ended;
      ended.slot = static_cast<int>(i);
      ended.generation = slot.generation;
      ended.pid = slot.pid;
      ended.signaled = WIFSIGNALED(status);
      ended.status = ended.signaled ? WTERMSIG(status) : WEXITSTATUS(status);
      ended.lifetime = std::chrono::duration_cast<milliseconds>(now - slot.started);
      slot.pid = 0;
      ++slot.generation;
      if (!ended.clean()) ++report.crashed;
      std::optional<milliseconds> restart_in;
      if (phase == Phase::kRunning) {
        if (ended.clean()) {
          slot.crashes = 0;
        } else {
          slot.crashes = ended.lifetime >= settings_.healthy_after ? 1 : slot.crashes + 1;
        }
        restart_in = ended.clean() ? milliseconds(0) : backoff(settings_, slot.crashes);
        slot.restart_at = now + *restart_in;
      }
      observer.on_exited(ended, restart_in);
    }
  };
  const auto check_memory = [&] {
    if (settings_.max_memory_per_child == 0 || Steady::now() < next_memory_check) return;
    next_memory_check = Steady::now() + settings_.memory_check_interval;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Slot& slot = slots[i];
      if (slot.pid <= 0 || slot.asked_to_stop) continue;
      const auto rss = resident_bytes(slot.pid);
      if (!rss || *rss <= settings_.max_memory_per_child) continue;
      slot.asked_to_stop = ::kill(slot.pid, SIGTERM) == 0;
      observer.on_over_memory(static_cast<int>(i), slot.pid, *rss);
    }
  };

  for (;;) {
    reap();
    const auto now = Steady::now();
    if (phase == Phase::kRunning) {
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].pid == 0 && slots[i].restart_at && *slots[i].restart_at <= now) start(i);
      }
      check_memory();
    } else if (std::none_of(slots.begin(), slots.end(), [](const Slot& s) { return s.pid > 0; })) {
      break;
    }
    if (phase == Phase::kWarm && now >= warm_deadline) go_cold();

    // Wait for a signal, a child's end, or the next thing due (at most 1 s:
    // a lost wake-up costs a second, never a hang).
    auto until = now + std::chrono::seconds(1);
    for (const auto& slot : slots) {
      if (slot.restart_at) until = std::min(until, *slot.restart_at);
    }
    if (phase == Phase::kWarm) until = std::min(until, warm_deadline);
    if (phase == Phase::kRunning && settings_.max_memory_per_child > 0) until = std::min(until, next_memory_check);
    const auto wait = std::chrono::ceil<milliseconds>(until - Steady::now());
    pollfd p{pipe.read_fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::clamp<milliseconds::rep>(wait.count(), 0, 1000)));

    for (int stops = pipe.drain_stops(); stops > 0; --stops) {
      if (phase == Phase::kRunning) {
        phase = Phase::kWarm;
        warm_deadline = Steady::now() + settings_.grace;
        observer.on_shutdown(false);
        signal_all(SIGTERM);
      } else if (phase == Phase::kWarm) {
        go_cold();
      }
    }
  }
  return report;
}

std::optional<std::uint64_t> resident_bytes(pid_t pid) {
  const std::string path = pid == 0 ? "/proc/self/statm" : "/proc/" + std::to_string(pid) + "/statm";
  std::ifstream statm(path);
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) return std::nullopt;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace gb::worker
