#include <cstdio>

#include "app/app.hpp"
#include "base/stop.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {

void add_demo_command(CLI::App& app, int& exit_code) {
  struct Flags {
    app::DemoOptions options;
    GlobalOptions global;
    bool no_progress = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "demo", "Export jobs of every kind from the embedded simulator (faults on) into ./genesys-bulk-demo.db");
  cmd->add_option("--db", flags->options.db_path, "The SQLite file to (re)create")->capture_default_str();
  cmd->add_option("--seed", flags->options.seed, "The simulator's seed")->capture_default_str();
  cmd->add_flag("--no-progress", flags->no_progress, "No progress bar or progress lines");
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] {
    init_logging(flags->global, "error");
    flags->options.progress = !flags->no_progress;
    install_stop_handlers();  // Ctrl-C: stop between chunks, exit 130
    auto s = app::run_demo(flags->options, stdout);
    exit_code = exit_code_for(s.ok() ? nullptr : &s.error());
  });
}

}  // namespace gb::cli
