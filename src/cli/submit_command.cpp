#include "app/submit.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {

void add_submit_command(CLI::App& app, int& exit_code) {
  struct Flags {
    app::SubmitOptions options;
    GlobalOptions global;
    int timeout_s = 3600;
  };
  auto flags = std::make_shared<Flags>();
  auto& o = flags->options;
  auto* cmd = app.add_subcommand("submit", "Send a Celery task to the worker's queue; print its id (and its result)");
  cmd->add_option("--broker", o.broker_url, "amqp://USER:PASS@HOST:PORT/VHOST")->required();
  cmd->add_option("--queue", o.queue, "The worker's queue")->capture_default_str();
  cmd->add_option("--type", o.type, "The job type (users, conversations, bulk:<jobType>)")->required();
  auto* job = cmd->add_option("--job-id", o.job_id, "An existing job: process_bulk_job_task(job_id, job_type)");
  auto* query = cmd->add_option("--query", o.query_json, "A JSON object: submit_bulk_job(job_type, query)");
  job->excludes(query);
  cmd->add_flag("--wait", o.wait, "Wait for the result and print it");
  cmd->add_option("--result-backend", o.result_backend, "Where --wait reads it: rpc:// or redis://HOST:PORT/DB")
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout_s, "Seconds --wait waits at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] {
    init_logging(flags->global, "warn");
    flags->options.timeout = std::chrono::seconds(flags->timeout_s);
    const Status done = app::run_submit(flags->options, stdout);
    exit_code = done.ok() ? 0 : exit_code_for(&done.error());
  });
}

}  // namespace gb::cli
