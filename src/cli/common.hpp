#pragma once
// What every subcommand shares: logging flags and how an outcome becomes an
// exit status and one line for the user.
#include <CLI/CLI.hpp>
#include <string>

#include "base/result.hpp"
#include "config/settings.hpp"

namespace gb::cli {

struct GlobalOptions {
  std::string log_format = "text";  // text | json
  std::string log_level;            // debug | info | warn | error; empty = the command's default
};

// Adds --log-format and --log-level to `cmd`.
void add_log_options(CLI::App& cmd, GlobalOptions& options);

// Where the org is and how to sign in: --region, --environment, --api-url,
// --login-url, --credentials-file (export and worker alike).
void add_genesys_options(CLI::App& cmd, config::HostSettings& hosts, std::string& credentials_file);

// --sink and --state (app/store_url.hpp says what they accept).
void add_store_options(CLI::App& cmd, std::string& sink_url, std::string& state_url);
// Configures gb::log; `default_level` applies when --log-level was not given.
void init_logging(const GlobalOptions& options, const char* default_level);

// The exit status after Ctrl-C (128 + SIGINT), as shells report it.
constexpr int kInterruptedExit = 130;

// 0 when ok; for an interruption prints "genesys-bulk: interrupted: ..." and
// returns kInterruptedExit; otherwise prints "genesys-bulk: error: ..." to
// stderr and returns 2 for bad input or configuration, 1 for everything else.
int exit_code_for(const Error* error);

}  // namespace gb::cli
