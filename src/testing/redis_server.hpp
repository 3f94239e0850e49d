#pragma once
// A private redis-server for one test: a free port on 127.0.0.1, no
// persistence (--save '' --appendonly no), its working directory a temporary
// one, optionally a password. Started by the constructor, which returns once
// PING is answered (milliseconds); killed with its process group by the
// destructor (and by a watchdog if the test process dies). Throws
// std::runtime_error when it cannot start. Not thread-safe.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "testing/server_process.hpp"

namespace gb::fixtures {

class RedisServer {
 public:
  static constexpr const char* kServer = "/usr/bin/redis-server";

  static bool available() { return ::access(kServer, X_OK) == 0; }

  explicit RedisServer(std::string password = {}) : password_(std::move(password)), dir_("gb-redis") {
    port_ = free_port();
    SpawnOptions o;
    o.argv = {kServer,  "--port", std::to_string(port_), "--bind",    "127.0.0.1",
              "--save", "",       "--appendonly",        "no",        "--daemonize",
              "no",     "--dir",  dir_.path().string(),  "--logfile", ""};
    if (!password_.empty()) {
      o.argv.push_back("--requirepass");
      o.argv.push_back(password_);
    }
    o.env = {"PATH=/usr/bin:/bin"};
    o.output = dir_.path() / "redis.log";
    o.cwd = dir_.path();
    const auto began = std::chrono::steady_clock::now();
    pid_ = spawn(o);
    watchdog_ = std::make_unique<GroupWatchdog>(pid_);
    const auto deadline = began + std::chrono::seconds(20);
    for (;;) {
      // +PONG, or -NOAUTH when a password is set: either way it serves.
      const std::string reply = tcp_exchange(port_, "PING\r\n", 5, std::chrono::milliseconds(500));
      if (reply.rfind("+PONG", 0) == 0 || reply.rfind("-NOAUTH", 0) == 0) break;
      if (wait_for(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start:\n" + tail(dir_.path() / "redis.log"));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        stop();
        throw std::runtime_error("redis-server did not answer PING in 20 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    startup_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  }

  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:<port>/<db>
  std::string url(int db = 0) const {
    const std::string auth = password_.empty() ? "" : ":" + password_ + "@";
    return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  std::chrono::milliseconds startup() const { return startup_; }

  void stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      wait_for(pid_, std::chrono::seconds(10));
      pid_ = -1;
    }
    watchdog_.reset();
  }

 private:
  std::string password_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<GroupWatchdog> watchdog_;
  std::chrono::milliseconds startup_{0};
};

}  // namespace gb::fixtures
