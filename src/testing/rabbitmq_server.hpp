#pragma once
// A private RabbitMQ node for one test process (see docs in servers.md):
// unique node name, free ports (AMQP, distribution, its own epmd), its own
// data, log and config under a temporary directory owned by the rabbitmq user
// (the server refuses root), no plugins, guest allowed from anywhere
// (loopback_users = none). Started in the constructor, which returns once
// `rabbitmqctl await_startup` says the node runs; killed with its epmd (one
// process group, plus a watchdog if the test process dies) by the destructor.
// Start-up takes 5-15 s on a 2-core machine: share one per test binary when
// you can. Throws std::runtime_error when it cannot start. Not thread-safe.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/server_process.hpp"

namespace gb::fixtures {

struct RabbitMqOptions {
  // RabbitMQ closes a channel whose delivery stays unacknowledged this long
  // (default 30 min); set it to test that in seconds.
  std::optional<std::chrono::milliseconds> consumer_timeout;
  std::chrono::seconds start_timeout{90};
};

class RabbitMqServer {
 public:
  static constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
  static constexpr const char* kCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";
  static constexpr const char* kEpmd = "/usr/bin/epmd";

  // Whether this machine can run one (packages installed, a rabbitmq user, root).
  static bool available() {
    return ::access(kServer, X_OK) == 0 && ::access(kEpmd, X_OK) == 0 && RunAs::lookup("rabbitmq").has_value() &&
           ::geteuid() == 0;
  }

  explicit RabbitMqServer(const RabbitMqOptions& options = {}) : options_(options), dir_("gb-rabbitmq") {
    user_ = RunAs::lookup("rabbitmq");
    if (!user_) throw std::runtime_error("RabbitMqServer: no rabbitmq user (apt-get install rabbitmq-server)");
    static std::atomic<int> counter{0};
    node_ = "gbtest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "@localhost";
    const auto& base = dir_.path();
    chown_to(base, user_);
    for (const char* sub : {"mnesia", "log", "home"}) {
      std::filesystem::create_directory(base / sub);
      chown_to(base / sub, user_);
    }
    std::ofstream(base / "enabled_plugins") << "[].\n";
    std::ofstream(base / "rabbitmq-env.conf") << "";
    std::ofstream conf(base / "rabbitmq.conf");
    conf << "loopback_users = none\n";
    if (options_.consumer_timeout) conf << "consumer_timeout = " << options_.consumer_timeout->count() << "\n";
    conf.close();
    if (options_.consumer_timeout) {
      // Channels check the timeout on their tick (60 s by default): tick every
      // second so that a timeout of seconds is seen in seconds.
      std::ofstream(base / "advanced.config") << "[{rabbit, [{channel_tick_interval, 1000}]}].\n";
    }
    // A port picked free may be taken before the node binds it: one more
    // try on fresh ports before giving up.
    for (int attempt = 1;; ++attempt) {
      pick_ports();
      try {
        start();
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 2) throw;
      }
    }
  }

  ~RabbitMqServer() { kill_all(); }
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  int port() const { return amqp_port_; }
  const std::string& node() const { return node_; }
  // amqp://guest:guest@127.0.0.1:<port>/%2F
  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(amqp_port_) + "/%2F"; }
  // How long the last start took until await_startup returned.
  std::chrono::milliseconds last_startup() const { return last_startup_; }
  bool running() const { return server_pid_ > 0; }

  // Starts the node (again) on the same directories and ports.
  void start() {
    if (running()) return;
    const auto began = std::chrono::steady_clock::now();
    const auto& base = dir_.path();
    const std::filesystem::path out = base / "log" / "console.log";
    // Our own epmd, in a new process group that the node then joins: one
    // kill of the group stops both, and no other test run shares it.
    SpawnOptions epmd;
    epmd.argv = {kEpmd, "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"};
    epmd.env = env_;
    epmd.user = user_;
    epmd.output = out;
    epmd_pid_ = spawn(epmd);
    watchdog_ = std::make_unique<GroupWatchdog>(epmd_pid_);
    wait_until([&] { return port_accepts(epmd_port_); }, std::chrono::seconds(10), "epmd to listen");

    SpawnOptions server;
    server.argv = {kServer};
    server.env = env_;
    server.user = user_;
    server.cwd = base / "home";
    server.output = out;
    server.join_group = epmd_pid_;
    server_pid_ = spawn(server);
    // The AMQP listener opens near the end of boot; await_startup confirms.
    wait_until([&] { return port_accepts(amqp_port_); }, options_.start_timeout, "the AMQP port to open");
    const Finished ready = ctl({"await_startup", "--timeout", "60"}, std::chrono::seconds(90));
    if (ready.exit_code != 0) fail("rabbitmqctl await_startup failed: " + ready.output);
    last_startup_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  }

  // Stops the node. graceful: SIGTERM, so the broker closes client
  // connections with 320 CONNECTION_FORCED and syncs its queues; otherwise
  // SIGKILL (clients see the socket close). Its epmd goes too.
  void stop(bool graceful = true) {
    if (!running()) return;
    if (graceful) {
      ::kill(server_pid_, SIGTERM);  // the start script traps it and stops the VM cleanly
      wait_for(server_pid_, std::chrono::seconds(60));
    }
    kill_all();
  }

  void restart() {
    stop(true);
    start();
  }

  struct QueueRow {
    std::string name;
    long messages = 0;
    long messages_unacknowledged = 0;
  };
  // rabbitmqctl list_queues name messages messages_unacknowledged.
  std::vector<QueueRow> list_queues() {
    const Finished r = ctl({"list_queues", "-q", "--no-table-headers", "name", "messages", "messages_unacknowledged"},
                           std::chrono::seconds(60));
    if (r.exit_code != 0) throw std::runtime_error("rabbitmqctl list_queues failed: " + r.output);
    std::vector<QueueRow> rows;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      QueueRow row;
      if (std::getline(fields, row.name, '\t') && fields >> row.messages >> row.messages_unacknowledged) {
        rows.push_back(row);
      }
    }
    return rows;
  }

  // Runs rabbitmqctl against this node (as rabbitmq, same environment).
  // Only while it runs: the CLI starts an epmd daemon of its own when it
  // finds none on ERL_EPMD_PORT, outside our process group.
  Finished ctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    if (epmd_pid_ <= 0) throw std::runtime_error("RabbitMqServer: rabbitmqctl while the node is stopped");
    SpawnOptions o;
    o.argv = {kCtl};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = env_;
    o.user = user_;
    o.cwd = dir_.path() / "home";
    return run(o, dir_.path(), timeout);
  }

  std::filesystem::path log_dir() const { return dir_.path() / "log"; }

 private:
  // Free ports, and the environment every process of the node gets.
  void pick_ports() {
    amqp_port_ = free_port();
    dist_port_ = free_port();
    epmd_port_ = free_port();
    const auto& base = dir_.path();
    env_ = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin",
            "LC_ALL=C.UTF-8",
            "LANG=C.UTF-8",
            "HOME=" + (base / "home").string(),
            "RABBITMQ_NODENAME=" + node_,
            "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
            "RABBITMQ_NODE_PORT=" + std::to_string(amqp_port_),
            "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
            "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
            "ERL_EPMD_ADDRESS=127.0.0.1",
            "RABBITMQ_MNESIA_BASE=" + (base / "mnesia").string(),
            "RABBITMQ_LOG_BASE=" + (base / "log").string(),
            "RABBITMQ_PID_FILE=" + (base / "rabbitmq.pid").string(),
            "RABBITMQ_CONFIG_FILE=" + (base / "rabbitmq.conf").string(),
            "RABBITMQ_ADVANCED_CONFIG_FILE=" + (base / "advanced.config").string(),
            "RABBITMQ_ENABLED_PLUGINS_FILE=" + (base / "enabled_plugins").string(),
            "RABBITMQ_CONF_ENV_FILE=" + (base / "rabbitmq-env.conf").string(),
            "ERL_CRASH_DUMP=" + (base / "log" / "erl_crash.dump").string()};
  }

  template <class Ready>
  void wait_until(Ready ready, std::chrono::milliseconds timeout, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready()) {
      if (server_pid_ > 0 && wait_for(server_pid_, std::chrono::milliseconds(0))) {
        server_pid_ = -1;
        fail("the node exited while waiting for " + what);
      }
      if (std::chrono::steady_clock::now() >= deadline) fail("timed out waiting for " + what);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  [[noreturn]] void fail(const std::string& why) {
    const std::string log = tail(log_dir() / "console.log");
    kill_all();
    throw std::runtime_error("RabbitMqServer " + node_ + ": " + why + "\n" + log);
  }

  // SIGKILL to the whole group (script, VM, epmd), then reap our children.
  void kill_all() {
    if (epmd_pid_ > 0) ::kill(-epmd_pid_, SIGKILL);
    if (server_pid_ > 0) wait_for(server_pid_, std::chrono::seconds(10));
    if (epmd_pid_ > 0) wait_for(epmd_pid_, std::chrono::seconds(10));
    server_pid_ = -1;
    epmd_pid_ = -1;
    watchdog_.reset();
  }

  RabbitMqOptions options_;
  TempDir dir_;
  std::optional<RunAs> user_;
  std::string node_;
  int amqp_port_ = 0;
  int dist_port_ = 0;
  int epmd_port_ = 0;
  std::vector<std::string> env_;
  pid_t epmd_pid_ = -1;
  pid_t server_pid_ = -1;
  std::unique_ptr<GroupWatchdog> watchdog_;
  std::chrono::milliseconds last_startup_{0};
};

}  // namespace gb::fixtures
