#include "cli/commands.hpp"

namespace gb::cli {

// Filled in by the simulator work.
void add_simulate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("simulate", "Run the Genesys Cloud API simulator on loopback");
  cmd->callback([&exit_code] { exit_code = 2; });
}

}  // namespace gb::cli
