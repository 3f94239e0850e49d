#include "app/dlq.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {

void add_dlq_command(CLI::App& app, int& exit_code) {
  struct Flags {
    app::DlqOptions options;
    GlobalOptions global;
  };
  auto flags = std::make_shared<Flags>();
  auto& o = flags->options;
  auto* cmd = app.add_subcommand("dlq", "The worker's dead letters: list, show ID, replay ID, purge");
  cmd->add_option("action", o.action, "list | show | replay | purge")
      ->required()
      ->check(CLI::IsMember({"list", "show", "replay", "purge"}));
  cmd->add_option("id", o.task_id, "The task id (show, replay)");
  cmd->add_option("--broker", o.broker_url, "amqp://USER:PASS@HOST:PORT/VHOST")->required();
  cmd->add_option("--queue", o.queue, "The worker's queue (its dead letters are QUEUE.dlq)")->capture_default_str();
  cmd->add_option("--limit", o.limit, "Read at most this many dead letters")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] {
    init_logging(flags->global, "warn");
    const Status done = app::run_dlq(flags->options, stdout);
    exit_code = done.ok() ? 0 : exit_code_for(&done.error());
  });
}

}  // namespace gb::cli
