#include "worker/detail/signal_pipe.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace gb::worker::detail {
namespace {

std::atomic<int> g_write_fd{-1};
std::atomic<StopSignal*> g_child_stop{nullptr};

constexpr char kStop = 'S';
constexpr char kChild = 'C';

void write_byte(char byte) noexcept {
  const int fd = g_write_fd.load();
  if (fd < 0) return;
  const int saved = errno;                                // a signal handler leaves errno as it found it
  [[maybe_unused]] const auto n = ::write(fd, &byte, 1);  // a full pipe wakes the loop anyway
  errno = saved;
}

extern "C" void on_parent_signal(int signo) {
  write_byte(signo == SIGCHLD ? kChild : kStop);
}

extern "C" void on_child_term(int /*signo*/) {
  if (StopSignal* stop = g_child_stop.load()) stop->request();
}

void set_handler(int signo, void (*handler)(int), struct sigaction* old) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
  ::sigaction(signo, &action, old);
}

}  // namespace

Result<std::unique_ptr<SignalPipe>> SignalPipe::install() {
  std::unique_ptr<SignalPipe> pipe(new SignalPipe());
  if (::pipe2(pipe->fds_, O_CLOEXEC | O_NONBLOCK) != 0) return internal_error("supervisor: cannot create a pipe");
  int expected = -1;
  if (!g_write_fd.compare_exchange_strong(expected, pipe->fds_[1])) {
    return internal_error("supervisor: another supervisor is running in this process");
  }
  set_handler(SIGTERM, on_parent_signal, &pipe->old_term_);
  set_handler(SIGINT, on_parent_signal, &pipe->old_int_);
  set_handler(SIGCHLD, on_parent_signal, &pipe->old_chld_);
  return pipe;
}

SignalPipe::~SignalPipe() {
  if (fds_[1] >= 0 && g_write_fd.load() == fds_[1]) {
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGCHLD, &old_chld_, nullptr);
    g_write_fd.store(-1);
  }
  for (const int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

int SignalPipe::drain_stops() {
  int stops = 0;
  char buffer[64];
  for (;;) {
    const auto n = ::read(fds_[0], buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) stops += buffer[i] == kStop ? 1 : 0;
  }
  return stops;
}

void SignalPipe::request_stop() noexcept {
  write_byte(kStop);
}

void SignalPipe::become_child(StopSignal& stop, const sigset_t& mask, pid_t parent) {
  g_write_fd.store(-1);
  for (int& fd : fds_) {
    ::close(fd);
    fd = -1;
  }
  g_child_stop.store(&stop);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGCHLD, &dfl, nullptr);
  struct sigaction ignore = dfl;
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, nullptr);
  set_handler(SIGTERM, on_child_term, nullptr);
  // An orphan stops warmly too; if the parent died before prctl, now.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) stop.request();
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
}

}  // namespace gb::worker::detail
