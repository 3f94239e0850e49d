#pragma once
// What the real-server fixtures (rabbitmq_server.hpp, redis_server.hpp) share:
// free ports, private directories, child processes in their own process
// group (optionally as another user), and a watchdog that kills that group
// if the test process dies without running its destructors (a crash, a
// SIGKILL from ctest's timeout), so no server outlives its test.
// In namespace gb::fixtures (gb::testing would hide GoogleTest's ::testing).
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace gb::fixtures {

// A port nobody listens on right now (bind to port 0, read it, close).
// Another process may take it before we use it; rare enough for tests.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "bind to port 0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Sends `request` to 127.0.0.1:port and returns what arrives within `timeout`
// (until `expect_prefix` is complete or the peer closes). Empty on failure.
inline std::string tcp_exchange(int port, const std::string& request, std::size_t want_bytes,
                                std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < want_bytes) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd pfd{fd, POLLIN, 0};
      if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
      char buf[256];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last `lines` lines of a file, for error messages.
inline std::string tail(const std::filesystem::path& path, int lines = 30) {
  const std::string text = slurp(path);
  std::size_t pos = text.size();
  for (int n = 0; n <= lines && pos > 0; ++n) {
    const std::size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  return text.substr(pos);
}

// A user to run a server as (servers that refuse root: RabbitMQ).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  static std::optional<RunAs> lookup(const std::string& name) {
    const passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr) return std::nullopt;
    return RunAs{pw->pw_uid, pw->pw_gid};
  }
};

// A private directory under /tmp, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void chown_to(const std::filesystem::path& path, const std::optional<RunAs>& user) {
  if (user && ::chown(path.c_str(), user->uid, user->gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "chown " + path.string());
  }
}

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // the whole environment
  std::optional<RunAs> user;      // run as this user (we are root)
  std::filesystem::path cwd = "/";
  std::filesystem::path output;  // stdout and stderr, appended
  pid_t join_group = 0;          // 0: a new process group led by the child
};

// fork + exec, with only async-signal-safe calls in the child. Returns the pid.
inline pid_t spawn(const SpawnOptions& o) {
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string out = o.output.empty() ? std::string("/dev/null") : o.output.string();
  const std::string cwd = o.cwd.string();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    ::setpgid(0, o.join_group);
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (fd < 0 || null_in < 0) ::_exit(126);
    ::dup2(null_in, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (o.user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(o.user->gid) != 0 || ::setuid(o.user->uid) != 0) ::_exit(126);
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, o.join_group);  // also from here, so it holds before we signal the group
  return pid;
}

// Waits for `pid` at most `timeout`; its exit code, -1 when killed by a
// signal, nullopt when it is still running.
inline std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;  // not our child any more
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Finished {
  int exit_code = -1;
  std::string output;
};

// Runs a command to its end (killed after `timeout`), output captured.
inline Finished run(SpawnOptions o, const std::filesystem::path& scratch, std::chrono::milliseconds timeout) {
  static int counter = 0;
  o.output = scratch / ("run-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".out");
  const pid_t pid = spawn(o);
  auto code = wait_for(pid, timeout);
  if (!code) {
    ::kill(-pid, SIGKILL);
    code = wait_for(pid, std::chrono::seconds(5));
  }
  Finished f{code.value_or(-1), slurp(o.output)};
  std::error_code ec;
  std::filesystem::remove(o.output, ec);
  return f;
}

// Kills process group `pgid` when this process goes away, whichever way.
// Stopped (with its group left alone) by the destructor. The script runs in
// /bin/sh, which is dash on Debian: its kill takes "-PGID" but refuses
// "-- -PGID" ("Illegal number"), which left servers running.
class GroupWatchdog {
 public:
  explicit GroupWatchdog(pid_t pgid) {
    const std::string script = "while kill -0 " + std::to_string(::getpid()) +
                               " 2>/dev/null; do sleep 1; done; kill -KILL -" + std::to_string(pgid) + " 2>/dev/null";
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c", script};
    o.env = {"PATH=/usr/bin:/bin"};
    pid_ = spawn(o);
  }
  ~GroupWatchdog() {
    ::kill(-pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(5));
  }
  GroupWatchdog(const GroupWatchdog&) = delete;
  GroupWatchdog& operator=(const GroupWatchdog&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace gb::fixtures
