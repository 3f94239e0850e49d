#pragma once
// A private PostgreSQL 15 server for one test (see /work/shared/servers.md):
// initdb as the `postgres` user (both initdb and the server refuse root) into
// a temporary directory that user owns, trust authentication on 127.0.0.1
// only, a free port, the Unix socket in that directory, fsync off (a test
// never survives a power loss anyway). Started by the constructor, which
// returns once pg_isready says it accepts connections; stopped (SIGINT, the
// fast shutdown) by stop() and the destructor, and killed with its process
// group by a watchdog if the test process dies. restart() stops and starts it
// again on the same directory and port, which is what a "server restarted
// mid-landing" test needs. Throws std::runtime_error when it cannot start.
// Not thread-safe.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/server_process.hpp"

namespace gb::fixtures {

struct PostgresOptions {
  std::chrono::seconds start_timeout{60};
  // Extra `-c name=value` settings for the server.
  std::vector<std::string> settings;
};

class PostgresServer {
 public:
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

  // Whether this machine can run one: the binaries, a postgres user, root (to
  // switch to it).
  static bool available() {
    return ::access(bin("postgres").c_str(), X_OK) == 0 && ::access(bin("initdb").c_str(), X_OK) == 0 &&
           ::access(bin("pg_isready").c_str(), X_OK) == 0 && RunAs::lookup("postgres").has_value() && ::geteuid() == 0;
  }

  explicit PostgresServer(PostgresOptions options = {}) : options_(std::move(options)), dir_("gb-postgres") {
    user_ = RunAs::lookup("postgres");
    if (!user_) throw std::runtime_error("PostgresServer: no postgres user (apt-get install postgresql-15)");
    const auto& base = dir_.path();
    chown_to(base, user_);
    std::filesystem::create_directory(base / "socket");
    chown_to(base / "socket", user_);
    SpawnOptions init;
    init.argv = {bin("initdb"), "-D",   data_dir().string(), "-A", "trust",
                 "-E",          "UTF8", "--no-locale",       "-U", "postgres"};
    init.env = env();
    init.user = user_;
    init.cwd = base;
    const Finished done = run(init, base, std::chrono::seconds(120));
    if (done.exit_code != 0) throw std::runtime_error("initdb failed:\n" + done.output);
    // A port picked free may be taken before the server binds it: fresh ones
    // once more before giving up.
    for (int attempt = 1;; ++attempt) {
      port_ = free_port();
      try {
        start();
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 3) throw;
      }
    }
  }

  ~PostgresServer() { kill_all(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  bool running() const { return pid_ > 0; }
  // The postmaster's process id (its process group holds every backend).
  pid_t pid() const { return pid_; }
  // postgresql://postgres@127.0.0.1:<port>/<db>
  std::string url(const std::string& db = "postgres") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::chrono::milliseconds last_startup() const { return last_startup_; }

  // Starts the server (again) on the same directory and port.
  void start() {
    if (running()) return;
    const auto began = std::chrono::steady_clock::now();
    SpawnOptions o;
    o.argv = {bin("postgres"),
              "-D",
              data_dir().string(),
              "-p",
              std::to_string(port_),
              "-k",
              (dir_.path() / "socket").string(),
              "-c",
              "listen_addresses=127.0.0.1",
              "-c",
              "fsync=off",
              "-c",
              "full_page_writes=off",
              "-c",
              "synchronous_commit=off",
              "-c",
              "max_connections=100"};
    for (const auto& s : options_.settings) {
      o.argv.push_back("-c");
      o.argv.push_back(s);
    }
    o.env = env();
    o.user = user_;
    o.cwd = dir_.path();
    o.output = dir_.path() / "postgres.log";
    pid_ = spawn(o);
    watchdog_ = std::make_unique<GroupWatchdog>(pid_);
    const auto deadline = began + options_.start_timeout;
    for (;;) {
      if (ready()) break;
      if (wait_for(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        watchdog_.reset();
        throw std::runtime_error("postgres exited at start:\n" + tail(dir_.path() / "postgres.log"));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        kill_all();
        throw std::runtime_error("postgres did not become ready:\n" + tail(dir_.path() / "postgres.log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    last_startup_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  }

  // Fast shutdown (SIGINT): the server aborts open transactions, closes every
  // client connection and exits cleanly. Killed if it takes longer than 60 s.
  void stop() {
    if (!running()) return;
    ::kill(pid_, SIGINT);
    if (!wait_for(pid_, std::chrono::seconds(60))) ::kill(-pid_, SIGKILL);
    kill_all();
  }

  void restart() {
    stop();
    start();
  }

  // Runs SQL through psql as the superuser (for tests' set-up and
  // independent read-back). Throws with psql's output when it fails.
  std::string psql(const std::string& sql, const std::string& db = "postgres") const {
    SpawnOptions o;
    o.argv = {bin("psql"),
              "-X",
              "-q",
              "-A",
              "-t",
              "-v",
              "ON_ERROR_STOP=1",
              "-h",
              "127.0.0.1",
              "-p",
              std::to_string(port_),
              "-U",
              "postgres",
              "-d",
              db,
              "-c",
              sql};
    o.env = env();
    o.user = user_;
    o.cwd = dir_.path();
    const Finished done = run(o, dir_.path(), std::chrono::seconds(120));
    if (done.exit_code != 0) throw std::runtime_error("psql failed (" + sql + "):\n" + done.output);
    return done.output;
  }

 private:
  static std::string bin(const std::string& name) { return std::string(kBinDir) + "/" + name; }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::vector<std::string> env() const {
    return {"PATH=/usr/bin:/bin", "HOME=" + dir_.path().string(), "LC_ALL=C", "PGTZ=UTC"};
  }

  bool ready() const {
    SpawnOptions o;
    o.argv = {bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", "2"};
    o.env = env();
    return run(o, dir_.path(), std::chrono::seconds(10)).exit_code == 0;
  }

  void kill_all() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      wait_for(pid_, std::chrono::seconds(10));
      pid_ = -1;
    }
    watchdog_.reset();
  }

  PostgresOptions options_;
  TempDir dir_;
  std::optional<RunAs> user_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<GroupWatchdog> watchdog_;
  std::chrono::milliseconds last_startup_{0};
};

}  // namespace gb::fixtures
