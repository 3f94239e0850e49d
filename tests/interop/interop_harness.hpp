#pragma once
// What the interop tests share: one private RabbitMQ node per test binary
// (start-up takes 6-12 s; each test uses its own queue names instead of its
// own node), the simulator in-process, `genesys-bulk worker` processes
// spawned in their own process groups (so that their children go with them),
// and Debian's Python Celery as the producer (tests/interop/producer.py),
// exactly as a user runs each of them.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/detail/verify.hpp"
#include "simulator/simulator.hpp"
#include "testing/processes.hpp"
#include "testing/rabbitmq_server.hpp"
#include "testing/redis_server.hpp"
#include "testing/server_process.hpp"

namespace gb::interop {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using fixtures::Finished;
using fixtures::SpawnOptions;
using gb::testing::children_of;

inline constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with celery 5.2 (see BRIEF)

inline fs::path source_path(const std::string& relative) {
  return fs::path(GB_SOURCE_DIR) / relative;
}

// Polls `pred` every 100 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

// The node every test of this binary shares; started on first use, stopped
// when the binary exits. Tests skip when this machine cannot run one.
inline fixtures::RabbitMqServer* shared_rabbit() {
  static std::unique_ptr<fixtures::RabbitMqServer> server;
  if (!server && fixtures::RabbitMqServer::available()) server = std::make_unique<fixtures::RabbitMqServer>();
  return server.get();
}

inline std::optional<fixtures::RabbitMqServer::QueueRow> queue_row(fixtures::RabbitMqServer& rabbit,
                                                                   const std::string& name) {
  for (auto& row : rabbit.list_queues()) {
    if (row.name == name) return row;
  }
  return std::nullopt;
}

// A process spawned in its own process group, killed with its group (and
// its children) by the destructor; a watchdog does it if the test dies.
class Process {
 public:
  Process(std::vector<std::string> argv, std::vector<std::string> env, fs::path log) : log_(std::move(log)) {
    SpawnOptions o;
    o.argv = std::move(argv);
    o.env = std::move(env);
    o.output = log_;
    pid_ = fixtures::spawn(o);
    watchdog_ = std::make_unique<fixtures::GroupWatchdog>(pid_);
  }
  ~Process() { kill_group(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  void signal(int signo) const {
    if (pid_ > 0) ::kill(pid_, signo);
  }
  // Its exit code (-1 when killed by a signal), nullopt when still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_code_;
    auto code = fixtures::wait_for(pid_, timeout);
    if (code) {
      exit_code_ = *code;
      pid_ = -1;
    }
    return code;
  }
  void kill_group() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      fixtures::wait_for(pid_, 10s);
      pid_ = -1;
    }
    watchdog_.reset();
  }
  std::string log() const { return fixtures::slurp(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::unique_ptr<fixtures::GroupWatchdog> watchdog_;
};

// One JSON line of producer.py, parsed.
struct ProducerLine {
  bool ok = false;
  std::string task_id;
  std::string exc_type;
  std::string exc_message;
  std::string state;
  // result (ok): the summary get() returned
  std::string job_id;
  std::string job_type;
  std::string result_state;
  std::int64_t records = -1;
  std::int64_t chunks = -1;
  std::int64_t quarantined = -1;
  std::string raw;
};

inline std::string json_text(simdjson::dom::element e, const char* key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}
inline std::int64_t json_int(simdjson::dom::element e, const char* key) {
  std::int64_t v = -1;
  if (e[key].get(v) == simdjson::SUCCESS) return v;
  double d = 0;
  return e[key].get(d) == simdjson::SUCCESS ? static_cast<std::int64_t>(d) : -1;
}

// Every line of `output` that is a JSON object producer.py printed.
inline std::vector<ProducerLine> parse_producer_output(const std::string& output) {
  std::vector<ProducerLine> out;
  std::istringstream in(output);
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    if (line.rfind("{\"", 0) != 0) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) continue;
    ProducerLine p;
    p.raw = line;
    bool ok = false;
    if (doc["ok"].get(ok) == simdjson::SUCCESS) p.ok = ok;
    p.task_id = json_text(doc, "task_id");
    p.exc_type = json_text(doc, "exc_type");
    p.exc_message = json_text(doc, "exc_message");
    p.state = json_text(doc, "state");
    simdjson::dom::element result;
    if (doc["result"].get(result) == simdjson::SUCCESS && result.is_object()) {
      p.job_id = json_text(result, "job_id");
      p.job_type = json_text(result, "job_type");
      p.result_state = json_text(result, "state");
      p.records = json_int(result, "records");
      p.chunks = json_int(result, "chunks");
      p.quarantined = json_int(result, "quarantined");
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Request counts and the times the counts grew, per route of the simulator
// ("GET /api/v2/bulk/jobs/{jobId}", "POST /oauth/token", ...), read from its
// stats every 20 ms: what the simulator saw, and when.
class StatsSampler {
 public:
  explicit StatsSampler(const simulator::Server& server) : server_(server) {
    thread_ = std::thread([this] {
      while (!stop_) {
        sample();
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~StatsSampler() {
    stop_ = true;
    thread_.join();
  }
  StatsSampler(const StatsSampler&) = delete;
  StatsSampler& operator=(const StatsSampler&) = delete;

  // Requests of `route` answered with `status` (0: any status).
  std::int64_t count(const std::string& route, int status = 0) {
    sample();
    std::lock_guard lock(mutex_);
    std::int64_t n = 0;
    for (const auto& [key, value] : counts_) {
      if (key.first == route && (status == 0 || key.second == status)) n += value;
    }
    return n;
  }
  // When the requests of `route` were first seen (one entry per request, to 20 ms).
  std::vector<std::chrono::steady_clock::time_point> times(const std::string& route) {
    std::lock_guard lock(mutex_);
    return times_[route];
  }

 private:
  void sample() {
    const std::string json = server_.stats_json();
    simdjson::dom::parser parser;
    simdjson::dom::object by_route;
    if (parser.parse(json)["requests"]["byRoute"].get(by_route) != simdjson::SUCCESS) return;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    for (auto [route, statuses] : by_route) {
      std::int64_t total = 0;
      simdjson::dom::object s;
      if (statuses.get(s) != simdjson::SUCCESS) continue;
      for (auto [status, n] : s) {
        std::int64_t v = 0;
        if (n.get(v) != simdjson::SUCCESS) continue;
        counts_[{std::string(route), std::stoi(std::string(status))}] = v;
        total += v;
      }
      auto& t = times_[std::string(route)];
      while (static_cast<std::int64_t>(t.size()) < total) t.push_back(now);
    }
  }

  const simulator::Server& server_;
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::int64_t> counts_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> times_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// How many times `needle` occurs in `text` (log lines of one kind).
inline int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

inline constexpr const char* kJobStatusRoute = "GET /api/v2/bulk/jobs/{jobId}";
inline constexpr const char* kJobCreateRoute = "POST /api/v2/bulk/jobs/{jobType}";
inline constexpr const char* kTokenRoute = "POST /oauth/token";

// Simulator settings for these tests: short jobs, no rate limit in the way.
inline simulator::Settings quick_simulator(std::uint64_t records, std::uint64_t chunk_records,
                                           const std::string& type = "bulk:users") {
  simulator::Settings s;
  s.seed = 17;
  s.job_seconds = 0.5;
  s.rate_limit_requests = 100000;
  s.faults.retry_after_seconds = 1;
  s.records_per_job = records;
  s.chunk_records = chunk_records;
  s.jobs.push_back({type, records, chunk_records});
  return s;
}

struct WorkerFlags {
  std::string backend = "rpc://";
  int concurrency = 1;
  std::vector<std::string> extra;  // e.g. {"--task-slice", "2"}
};

// One test's world on the shared broker: its own queue, SQLite file, log
// directory and simulator; workers and producers started on demand.
class Interop {
 public:
  Interop(const std::string& name, const simulator::Settings& sim) : queue_("gbt-" + name), dir_("gb-interop-" + name) {
    rabbit_ = shared_rabbit();
    if (rabbit_ == nullptr) return;
    auto server = simulator::Server::start(sim);
    if (!server.ok()) throw std::runtime_error("simulator: " + server.error().describe());
    sim_ = std::move(*server);
  }

  bool available() const { return rabbit_ != nullptr; }
  fixtures::RabbitMqServer& rabbit() { return *rabbit_; }
  simulator::Server& sim() { return *sim_; }
  const std::string& queue() const { return queue_; }
  std::string dlq() const { return queue_ + ".dlq"; }
  std::string db_path() const { return (dir_.path() / "landed.db").string(); }
  const fs::path& dir() const { return dir_.path(); }
  std::string job(std::size_t i = 0) const { return sim_->jobs().at(i).job_id; }
  std::string job_type(std::size_t i = 0) const { return sim_->jobs().at(i).type; }
  std::uint64_t job_records(std::size_t i = 0) const { return sim_->jobs().at(i).records; }

  static std::vector<std::string> sim_env() {
    return {"GENESYS_CLIENT_ID=sim-client", "GENESYS_CLIENT_SECRET=sim-secret", "PATH=/usr/bin:/bin"};
  }

  std::vector<std::string> worker_argv(const WorkerFlags& flags) const {
    std::vector<std::string> argv = {GB_BINARY,          "worker",
                                     "--broker",         rabbit_->url(),
                                     "--queue",          queue_,
                                     "--concurrency",    std::to_string(flags.concurrency),
                                     "--sink",           "sqlite:" + db_path(),
                                     "--result-backend", flags.backend,
                                     "--api-url",        sim_->base_url(),
                                     "--login-url",      sim_->base_url()};
    argv.insert(argv.end(), flags.extra.begin(), flags.extra.end());
    return argv;
  }

  // Starts `genesys-bulk worker` and waits until it declared its queue and
  // has its children; throws (failing the test at once) when it ends or
  // does not get there in 30 s.
  std::unique_ptr<Process> start_worker(const WorkerFlags& flags = {}) {
    const fs::path log = dir_.path() / ("worker-" + std::to_string(++workers_) + ".log");
    auto p = std::make_unique<Process>(worker_argv(flags), sim_env(), log);
    bool ended = false;
    const bool ready = eventually(
        [&] {
          ended = p->wait(0ms).has_value();
          return ended || (queue_row(*rabbit_, queue_).has_value() && !children_of(p->pid()).empty());
        },
        30s);
    if (!ready || ended) {
      throw std::runtime_error(std::string(ended ? "the worker ended at start" : "the worker did not start in 30 s") +
                               ":\n" + p->log());
    }
    return p;
  }

  std::vector<std::string> producer_argv(const std::string& backend, const std::string& task,
                                         const std::string& args_json, std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {kPython,     source_path("tests/interop/producer.py").string(),
                                     "--broker",  rabbit_->url(),
                                     "--backend", backend,
                                     "--queue",   queue_,
                                     "--task",    task,
                                     "--args",    args_json};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Starts producer.py in the background (it sends, then waits in get()).
  std::unique_ptr<Process> start_producer(const std::string& backend, const std::string& task,
                                          const std::string& args_json, std::vector<std::string> extra = {}) {
    const fs::path log = dir_.path() / ("producer-" + std::to_string(++producers_) + ".log");
    return std::make_unique<Process>(producer_argv(backend, task, args_json, std::move(extra)), python_env(), log);
  }

  // Waits for a producer started by start_producer, then parses what it printed.
  static std::vector<ProducerLine> finish_producer(Process& p, std::chrono::seconds timeout) {
    const auto code = p.wait(timeout);
    EXPECT_TRUE(code.has_value()) << "the producer did not finish: " << p.log();
    EXPECT_EQ(code.value_or(-1), 0) << p.log();
    return parse_producer_output(p.log());
  }

  // Sends one task and waits for get(): what producer.py printed.
  std::vector<ProducerLine> produce(const std::string& backend, const std::string& task, const std::string& args_json,
                                    std::vector<std::string> extra = {}, std::chrono::seconds timeout = 120s) {
    auto p = start_producer(backend, task, args_json, std::move(extra));
    return finish_producer(*p, timeout);
  }

  std::string process_args(std::size_t i = 0) const { return "[\"" + job(i) + "\", \"" + job_type(i) + "\"]"; }

  static std::vector<std::string> python_env() {
    return {"PATH=/usr/bin:/bin", "HOME=/tmp", "PYTHONDONTWRITEBYTECODE=1", "LANG=C.UTF-8"};
  }

  // tests/interop/broker_tool.py: peek (the dead letters, as JSON lines) or publish-raw.
  Finished broker_tool(const std::vector<std::string>& args) const {
    SpawnOptions o;
    o.argv = {kPython, source_path("tests/interop/broker_tool.py").string(), "--broker", rabbit_->url()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = python_env();
    return fixtures::run(o, dir_.path(), 60s);
  }

  // The dead letters of this test's queue (they stay in the queue), parsed.
  std::vector<std::string> dead_letters() const {
    const Finished f = broker_tool({"peek", dlq()});
    EXPECT_EQ(f.exit_code, 0) << f.output;
    std::vector<std::string> out;
    std::istringstream in(f.output);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("{\"", 0) == 0) out.push_back(line);
    }
    return out;
  }

  std::int64_t dlq_depth() {
    const auto row = queue_row(*rabbit_, dlq());
    return row ? row->messages : 0;
  }

  // What landed for job i against what the simulator holds.
  app::JobCheck check(std::size_t i = 0) {
    auto landed = app::read_landed(db_path(), job(i));
    EXPECT_TRUE(landed.ok()) << (landed.ok() ? "" : landed.error().describe());
    if (!landed.ok()) return {};
    return app::check_job(*sim_, job(i), *landed);
  }

  // Runs `genesys-bulk ARGS...` to its end (stdout and stderr together).
  Finished cli(const std::vector<std::string>& args, std::chrono::seconds timeout = 120s) const {
    SpawnOptions o;
    o.argv = {GB_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = sim_env();
    return fixtures::run(o, dir_.path(), timeout);
  }

 private:
  std::string queue_;
  fixtures::TempDir dir_;
  fixtures::RabbitMqServer* rabbit_ = nullptr;
  std::unique_ptr<simulator::Server> sim_;
  int workers_ = 0;
  int producers_ = 0;
};

#define GB_REQUIRE_BROKER(world)                                                            \
  do {                                                                                      \
    if (!(world).available()) GTEST_SKIP() << "rabbitmq-server cannot run on this machine"; \
  } while (0)

}  // namespace gb::interop
