#pragma once
// Each subcommand registers itself on the app; main() only wires them up.
#include <CLI/CLI.hpp>

namespace gb::cli {

// Each returns nothing; the subcommand's callback sets `exit_code`
// (0 ok, 1 failed, 2 bad input or configuration).
void add_simulate_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_status_command(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);
void add_dlq_command(CLI::App& app, int& exit_code);
void add_submit_command(CLI::App& app, int& exit_code);

}  // namespace gb::cli
