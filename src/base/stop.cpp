#include "base/stop.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <stdexcept>

namespace gb {
namespace {

// The handler reads only this (set before the handlers are installed).
std::atomic<StopSignal*> g_handled{nullptr};
std::atomic<bool> g_signalled{false};

extern "C" void on_stop_signal(int signo) {
  if (g_signalled.exchange(true)) ::_exit(128 + signo);  // asked twice: go now
  if (StopSignal* stop = g_handled.load()) stop->request();
}

}  // namespace

StopSignal::StopSignal() {
  if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("cannot create the stop pipe");
}

StopSignal::~StopSignal() {
  ::close(fds_[0]);
  ::close(fds_[1]);
}

void StopSignal::request() noexcept {
  requested_.store(true);
  const int saved = errno;  // a signal handler must leave errno as it found it
  const char byte = 's';
  // The first byte is all that matters: a full pipe already wakes everyone.
  [[maybe_unused]] const auto n = ::write(fds_[1], &byte, 1);
  errno = saved;
}

bool StopSignal::requested() const noexcept {
  return requested_.load();
}

bool StopSignal::wait_for(Duration d) const {
  return wait_for(d, nullptr);
}

bool StopSignal::wait_for(Duration d, const StopSignal* other) const {
  const auto either = [&] { return requested() || (other != nullptr && other->requested()); };
  const SteadyTime deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return either();
    pollfd p[2] = {{fds_[0], POLLIN, 0}, {other != nullptr ? other->fds_[0] : -1, POLLIN, 0}};
    const int timeout = static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), 60'000));
    const int rc = ::poll(p, other != nullptr ? 2 : 1, timeout);
    if (rc >= 1) return true;
    if (rc < 0 && errno != EINTR) return either();
  }
}

StopSignal& process_stop() {
  static StopSignal stop;
  return stop;
}

void install_stop_handlers() {
  g_handled.store(&process_stop());
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace gb
