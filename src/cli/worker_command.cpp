#include <fmt/format.h>

#include "app/worker.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {
namespace {

struct WorkerFlags {
  app::WorkerOptions options;
  GlobalOptions global;
  double task_slice_s = 300;
  double soft_time_limit_s = 0;
  double time_limit_s = 0;
  double retry_backoff_s = 1;
  double retry_backoff_max_s = 600;
  double max_memory_per_child_mb = 0;
  double grace_s = 60;
  int max_outage_s = 300;
  bool no_compression = false;
};

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

int run(WorkerFlags& f) {
  init_logging(f.global, "info");
  auto& o = f.options;
  o.task_slice = ms(f.task_slice_s);
  if (f.soft_time_limit_s > 0) o.soft_time_limit = ms(f.soft_time_limit_s);
  if (f.time_limit_s > 0) o.time_limit = ms(f.time_limit_s);
  o.retry_backoff = ms(f.retry_backoff_s);
  o.retry_backoff_max = ms(f.retry_backoff_max_s);
  o.max_memory_per_child = static_cast<std::uint64_t>(f.max_memory_per_child_mb * 1024 * 1024);
  o.grace = ms(f.grace_s);
  o.settings.retry.max_outage = std::chrono::seconds(f.max_outage_s);
  o.compress = !f.no_compression;
  // No install_stop_handlers(): the supervisor owns SIGTERM/SIGINT (warm, then cold).
  const Status done = app::run_worker(o);
  return done.ok() ? 0 : exit_code_for(&done.error());
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<WorkerFlags>();
  auto& o = flags->options;
  auto& s = o.settings;
  auto* cmd = app.add_subcommand(
      "worker", "Run Celery tasks from RabbitMQ (process_bulk_job_task, submit_bulk_job) in supervised processes");
  cmd->add_option("--broker", o.broker_url, "amqp://USER:PASS@HOST:PORT/VHOST")->required();
  cmd->add_option("--queue", o.queue, "The Celery queue to consume")->capture_default_str();
  cmd->add_option("--concurrency", o.concurrency, "Child processes (one task each at a time)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_store_options(*cmd, o.sink_url, o.state_url);
  cmd->add_option("--result-backend", o.result_backend, "rpc:// or redis://HOST:PORT/DB")->capture_default_str();
  add_genesys_options(*cmd, s.hosts, o.credentials_file);
  cmd->add_option("--task-slice", flags->task_slice_s,
                  "Seconds a task holds its message at most; then it continues through the broker")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1800.0));
  cmd->add_option("--soft-time-limit", flags->soft_time_limit_s,
                  "Seconds per slice before it is cancelled at a safe point and retried (0: none)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--time-limit", flags->time_limit_s, "Seconds per slice before the child is killed (0: none)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--max-retries", o.max_retries, "Retries of a transient failure, then the dead letters")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--retry-backoff", flags->retry_backoff_s, "Backoff base, seconds (full jitter)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--retry-backoff-max", flags->retry_backoff_max_s, "Backoff cap, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--max-tasks-per-child", o.max_tasks_per_child, "Replace a child after this many tasks (0: never)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--max-memory-per-child", flags->max_memory_per_child_mb,
                  "MB of RSS above which a child is replaced between tasks (0: never)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--grace", flags->grace_s, "Warm shutdown: seconds in-flight slices get before they are killed")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--download-concurrency", s.download.concurrency, "Chunk downloads at once, per child")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--max-outage", flags->max_outage_s, "Seconds of API outage a slice waits out before retrying later")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--spill-dir", o.spill_dir,
                  "Where temporary files go: spilled chunks, S3 objects being uploaded (default: the system temp dir)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--no-compression", flags->no_compression, "Ask for uncompressed bodies");
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] { exit_code = run(*flags); });
}

}  // namespace gb::cli
