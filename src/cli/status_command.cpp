#include <cstdio>

#include "app/app.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {

void add_status_command(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string sink_url = "sqlite:genesys-bulk.db";
    std::string state_url;
    std::string job_id;
    GlobalOptions global;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("status", "Jobs in a store with their chunks: states, counts, errors");
  add_store_options(*cmd, flags->sink_url, flags->state_url);
  cmd->add_option("--job-id", flags->job_id, "Only this job");
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] {
    init_logging(flags->global, "warn");
    std::optional<std::string> job;
    if (!flags->job_id.empty()) job = flags->job_id;
    auto s = app::run_status(flags->sink_url, flags->state_url, job, stdout);
    exit_code = exit_code_for(s.ok() ? nullptr : &s.error());
  });
}

}  // namespace gb::cli
