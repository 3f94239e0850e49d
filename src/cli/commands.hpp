#pragma once
// Each subcommand registers itself on the app; main() only wires them up.
#include <CLI/CLI.hpp>

namespace gb::cli {

// Each returns nothing; the subcommand's callback sets `exit_code`.
void add_simulate_command(CLI::App& app, int& exit_code);

}  // namespace gb::cli
