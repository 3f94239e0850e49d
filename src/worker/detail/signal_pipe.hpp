#pragma once
// The supervisor's signals as bytes on a self-pipe, so that its loop waits
// with poll() and does all real work outside signal handlers.
#include <signal.h>

#include <memory>

#include "base/result.hpp"
#include "base/stop.hpp"

namespace gb::worker::detail {

class SignalPipe {
 public:
  // SIGTERM and SIGINT become stop requests, SIGCHLD a wake-up; the previous
  // handlers come back in the destructor. One at a time per process.
  static Result<std::unique_ptr<SignalPipe>> install();
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int read_fd() const { return fds_[0]; }
  // How many stop requests arrived since the last call (wake-ups are dropped).
  int drain_stops();

  // A stop request from anywhere (async-signal-safe); ignored when no
  // SignalPipe is installed.
  static void request_stop() noexcept;

  // In a freshly forked child, with signals blocked: forget the parent's
  // pipe, restore SIGCHLD, ignore SIGINT, make SIGTERM request `stop`, ask for
  // SIGTERM when the parent (`parent`, read before the fork) dies. Then
  // restores `mask`.
  void become_child(StopSignal& stop, const sigset_t& mask, pid_t parent);

 private:
  SignalPipe() = default;
  int fds_[2] = {-1, -1};
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  struct sigaction old_chld_ {};
};

}  // namespace gb::worker::detail
