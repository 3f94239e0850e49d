// `genesys-bulk worker` against `genesys-bulk export` on the same job in the
// same run (issue 7, item 13), and the peak RSS of each worker child.
// Prints medians; never a pass/fail test.
//   bench_worker [--records 100000] [--chunks 20] [--record-bytes 2500] [--runs 3] [--dir DIR]
//
// A private RabbitMQ node (testing/rabbitmq_server.hpp) and the simulator
// in-process (one bulk:interactions job, every chunk rendered once and then
// served from memory). Each run, both as the user runs them, as processes:
// 1. export: `genesys-bulk export --job-id JOB` into a fresh SQLite file,
//    timed from spawn to exit;
// 2. worker: a fresh `genesys-bulk worker --concurrency 1` on a fresh file,
//    started and ready (its queue declared, its child up) before the clock
//    starts; then process_bulk_job_task(JOB) published as Python's send_task
//    does (celery/'s encoder, a confirmed publish, reply_to a queue of ours),
//    timed until the rpc:// result arrives. The peak RSS (VmHWM) of each
//    worker child is sampled every 2 ms.
// Both runs must land the exact set (checked against the simulator).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "amqp/broker_url.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "app/detail/verify.hpp"
#include "base/log.hpp"
#include "celery/task_message.hpp"
#include "common/bench_stats.hpp"
#include "simulator/simulator.hpp"
#include "testing/processes.hpp"
#include "testing/rabbitmq_server.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The binary with `args`, simulator credentials in its environment, output to `log`.
pid_t spawn_binary(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> all = {GB_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string id = "GENESYS_CLIENT_ID=sim-client", secret = "GENESYS_CLIENT_SECRET=sim-secret",
              path = "PATH=/usr/bin:/bin";
  std::vector<char*> envp = {id.data(), secret.data(), path.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: its children go with it
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, GB_BINARY, &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  return pid;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sends process_bulk_job_task(job_id, type) to `queue` as Python Celery does,
// with rpc:// results to a reply queue of ours, and waits for the result
// (sampling the RSS of `worker`'s children meanwhile). Throws on FAILURE.
void run_task(const std::string& broker, const std::string& queue, const std::string& job_id, const std::string& type,
              int run, pid_t worker, std::map<pid_t, long>& peaks) {
  auto url = gb::amqp::BrokerUrl::parse(broker);
  if (!url) throw std::runtime_error(url.error().describe());
  auto consumer = gb::amqp::Consumer::open(*url);
  if (!consumer) throw std::runtime_error(consumer.error().describe());
  const std::string reply_queue = fmt::format("bench-reply-{}", run);
  if (auto d = consumer->connection().declare_queue(reply_queue, false); !d)
    throw std::runtime_error(d.error().describe());
  if (auto c = consumer->consume(reply_queue); !c) throw std::runtime_error(c.error().describe());
  auto publisher = gb::amqp::Publisher::open(*url);
  if (!publisher) throw std::runtime_error(publisher.error().describe());
  gb::celery::TaskRequest task;
  task.task = "bulk_processor.process_bulk_job_task";
  task.id = fmt::format("00000000-0000-4000-8000-{:012d}", run);
  task.args_json = fmt::format(R"(["{}", "{}"])", job_id, type);
  task.reply_to = reply_queue;
  task.origin = "bench_worker";
  if (auto p = publisher->publish("", queue, gb::celery::encode_task(task)); !p) {
    throw std::runtime_error(p.error().describe());
  }
  for (;;) {
    for (const pid_t child : gb::testing::children_of(worker))
      peaks[child] = std::max(peaks[child], gb::bench::vm_hwm_kib(child));
    auto delivery = consumer->next_delivery(std::chrono::milliseconds(2));
    if (!delivery) throw std::runtime_error(delivery.error().describe());
    if (!*delivery) continue;
    const std::string& body = (*delivery)->message.body;
    (void)consumer->ack((*delivery)->tag);
    if (body.find("\"SUCCESS\"") != std::string::npos) return;
    if (body.find("\"FAILURE\"") != std::string::npos) throw std::runtime_error("the task failed: " + body);
  }
}

void check_exact(const gb::simulator::Server& server, const std::string& job_id, const std::string& db,
                 const char* what) {
  auto landed = gb::app::read_landed(db, job_id);
  if (!landed.ok()) throw std::runtime_error(fmt::format("{}: cannot read the store", what));
  const auto check = gb::app::check_job(server, job_id, *landed);
  if (!check.exact()) throw std::runtime_error(fmt::format("{} did not land the exact set: {}", what, check.summary()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"bench_worker: `worker` vs `export` on the same job, and peak RSS per worker child"};
  std::uint64_t records = 100'000;
  std::uint64_t chunks = 20;
  std::size_t record_bytes = 2500;
  int runs = 3;
  std::string dir = fs::temp_directory_path().string();
  cli.add_option("--records", records);
  cli.add_option("--chunks", chunks);
  cli.add_option("--record-bytes", record_bytes, "records padded to this size (conversation-sized by default)");
  cli.add_option("--runs", runs);
  cli.add_option("--dir", dir, "Where the SQLite files go");
  CLI11_PARSE(cli, argc, argv);
  gb::log::init(gb::log::Format::kText, gb::log::Level::kError);
  if (!gb::fixtures::RabbitMqServer::available()) {
    fmt::print(stderr, "bench_worker: rabbitmq-server cannot run here (root and the rabbitmq package needed)\n");
    return 1;
  }
  try {
    gb::fixtures::RabbitMqServer rabbit;
    gb::simulator::Settings sim;
    sim.job_seconds = 0;
    sim.rate_limit_requests = 1'000'000;
    sim.cache_bytes = std::size_t{1} << 30;
    sim.record_bytes = record_bytes;
    sim.jobs = {{"bulk:interactions", records, (records + chunks - 1) / chunks}};
    auto server = gb::simulator::Server::start(sim);
    if (!server.ok()) throw std::runtime_error("simulator: " + server.error().describe());
    const std::string base = (*server)->base_url();
    const std::string job = (*server)->jobs()[0].job_id;
    const std::string db = (fs::path(dir) / "bench-worker.db").string();
    const std::string log = (fs::path(dir) / "bench-worker.log").string();
    const std::vector<std::string> genesys = {"--api-url", base, "--login-url", base, "--no-compression"};

    std::vector<double> export_rate, worker_rate, export_rss, child_rss;
    for (int run = 0; run <= runs; ++run) {  // run 0 warms the simulator's cache and the page cache
      gb::bench::remove_sqlite_files(db);
      std::vector<std::string> args = {"export", "--type",       "bulk:interactions", "--job-id",    job,
                                       "--sink", "sqlite:" + db, "--no-progress",     "--log-level", "warn"};
      args.insert(args.end(), genesys.begin(), genesys.end());
      auto start = Clock::now();
      const pid_t exporter = spawn_binary(args, log);
      long export_peak = 0;
      int status = 0;
      for (;;) {
        export_peak = std::max(export_peak, gb::bench::vm_hwm_kib(exporter));
        const pid_t done = waitpid(exporter, &status, WNOHANG);
        if (done == exporter) break;
        usleep(2000);
      }
      double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("export failed: " + slurp(log));
      check_exact(**server, job, db, "export");
      if (run > 0) {
        export_rate.push_back(static_cast<double>(records) / seconds);
        export_rss.push_back(static_cast<double>(export_peak) / 1024.0);
      }

      gb::bench::remove_sqlite_files(db);
      const std::string queue = fmt::format("bench-{}", run);
      args = {"worker", "--broker",     rabbit.url(),       "--queue", queue,         "--concurrency", "1",
              "--sink", "sqlite:" + db, "--result-backend", "rpc://",  "--log-level", "warn"};
      args.insert(args.end(), genesys.begin(), genesys.end());
      const std::string worker_log = log + ".worker";
      const pid_t worker = spawn_binary(args, worker_log);
      const auto ready_by = Clock::now() + 30s;
      while (gb::testing::children_of(worker).empty() || waitpid(worker, nullptr, WNOHANG) != 0) {
        if (Clock::now() > ready_by) throw std::runtime_error("the worker did not start: " + slurp(worker_log));
        std::this_thread::sleep_for(20ms);
      }
      std::this_thread::sleep_for(500ms);  // its child connected and consuming
      start = Clock::now();
      std::map<pid_t, long> peaks;
      try {
        run_task(rabbit.url(), queue, job, "bulk:interactions", run, worker, peaks);
      } catch (const std::exception& e) {
        ::kill(-worker, SIGKILL);
        waitpid(worker, nullptr, 0);
        throw std::runtime_error(std::string(e.what()) + "\n" + slurp(worker_log));
      }
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
      ::kill(-worker, SIGKILL);
      waitpid(worker, nullptr, 0);
      check_exact(**server, job, db, "worker");
      if (run > 0) {
        worker_rate.push_back(static_cast<double>(records) / seconds);
        long peak = 0;
        for (const auto& [pid, kib] : peaks) peak = std::max(peak, kib);
        child_rss.push_back(static_cast<double>(peak) / 1024.0);
      }
    }
    gb::bench::remove_sqlite_files(db);
    fs::remove(log);
    fs::remove(log + ".worker");

    const double e = gb::bench::median(export_rate), w = gb::bench::median(worker_rate);
    fmt::print("bench_worker: {} records in {} chunks of bulk:interactions, {} bytes per record, median of {} runs\n",
               records, chunks, record_bytes, runs);
    fmt::print("  export (a process, spawn to exit)         : {:>8.0f} records/s  peak RSS {:.1f} MB\n", e,
               gb::bench::median(export_rss));
    fmt::print(
        "  worker, 1 child (publish to its result)  : {:>8.0f} records/s  {:>5.1f}% of export (target >= "
        "90%)\n",
        w, 100.0 * w / e);
    fmt::print("  peak RSS per worker child (VmHWM)         : {:.1f} MB\n", gb::bench::median(child_rss));
  } catch (const std::exception& ex) {
    fmt::print(stderr, "bench_worker: {}\n", ex.what());
    return 1;
  }
  return 0;
}
