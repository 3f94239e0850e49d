#pragma once
// `genesys-bulk worker`: Celery tasks from RabbitMQ, run by supervised child
// processes (worker/), with the same Genesys settings as `export`.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "app/store_url.hpp"
#include "base/result.hpp"
#include "config/credentials.hpp"
#include "config/settings.hpp"

namespace gb::app {

struct WorkerOptions {
  config::Settings settings;     // hosts and tunables; credentials are loaded by run_worker
  std::string credentials_file;  // empty: GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET
  std::string broker_url;        // amqp://USER:PASS@HOST:PORT/VHOST
  std::string queue = "genesys-bulk";
  int concurrency = 1;  // child processes, one task each at a time
  std::string sink_url = std::string(kDefaultSinkUrl);
  std::string state_url;                  // empty: the sink's default
  std::string result_backend = "rpc://";  // rpc:// | redis://HOST:PORT/DB
  std::chrono::milliseconds task_slice{std::chrono::minutes(5)};
  std::optional<std::chrono::milliseconds> soft_time_limit;
  std::optional<std::chrono::milliseconds> time_limit;
  int max_retries = 3;
  std::chrono::milliseconds retry_backoff{1'000};
  std::chrono::milliseconds retry_backoff_max{std::chrono::minutes(10)};
  int max_tasks_per_child = 0;             // 0: unlimited
  std::uint64_t max_memory_per_child = 0;  // RSS bytes; 0: unlimited
  std::chrono::milliseconds grace{std::chrono::seconds(60)};
  std::string spill_dir;
  bool compress = true;
};

// Runs until SIGTERM/SIGINT (warm shutdown; a second one: cold). Ok after a
// shutdown; an Error (kInvalidInput) for options that cannot work, before
// anything starts. Installs its own signal handlers: do not call
// install_stop_handlers() first.
Status run_worker(const WorkerOptions& options, const config::EnvLookup& env = config::process_env());

}  // namespace gb::app
