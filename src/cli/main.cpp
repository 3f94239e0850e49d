// genesys-bulk: Genesys Cloud bulk exports into your own stores.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv) try {
  CLI::App app{"genesys-bulk: Genesys Cloud bulk exports into your own stores, exactly once", "genesys-bulk"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "genesys-bulk 0.1.0");
  int exit_code = 0;
  gb::cli::add_export_command(app, exit_code);
  gb::cli::add_status_command(app, exit_code);
  gb::cli::add_demo_command(app, exit_code);
  gb::cli::add_simulate_command(app, exit_code);
  gb::cli::add_worker_command(app, exit_code);
  gb::cli::add_dlq_command(app, exit_code);
  gb::cli::add_submit_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as documented.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
} catch (const std::exception& e) {
  // Exceptions are for bugs and start-up misconfiguration: one line, exit 1.
  std::fprintf(stderr, "genesys-bulk: error: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "genesys-bulk: error: unexpected exception\n");
  return 1;
}
