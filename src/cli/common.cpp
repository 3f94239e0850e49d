#include "cli/common.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "base/log.hpp"

namespace gb::cli {

void add_log_options(CLI::App& cmd, GlobalOptions& options) {
  cmd.add_option("--log-format", options.log_format, "Log lines as text or json (stderr)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd.add_option("--log-level", options.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
}

void add_genesys_options(CLI::App& cmd, config::HostSettings& hosts, std::string& credentials_file) {
  cmd.add_option("--region", hosts.region, "The org's region, e.g. eu_west_1");
  cmd.add_option("--environment", hosts.env_domain, "The org's environment domain, e.g. mypurecloud.ie");
  cmd.add_option("--api-url", hosts.api_url, "API base URL (overrides region/environment)");
  cmd.add_option("--login-url", hosts.login_url, "Login base URL (overrides region/environment)");
  cmd.add_option("--credentials-file", credentials_file,
                 "client_id=/client_secret= lines, mode 0600 (default: GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET)");
}

void add_store_options(CLI::App& cmd, std::string& sink_url, std::string& state_url) {
  cmd.add_option("--sink", sink_url,
                 "Where records land: sqlite:PATH, postgresql://USER:PASS@HOST:PORT/DB, "
                 "s3://BUCKET/PREFIX?endpoint=URL&region=R[&gzip=1], file:DIR")
      ->capture_default_str();
  cmd.add_option("--state", state_url,
                 "Where the ledger lives for s3:// and file: sinks: sqlite:PATH or postgresql://... "
                 "(file: default DIR/.genesys-bulk-state.db)");
}

void init_logging(const GlobalOptions& options, const char* default_level) {
  const std::string level = options.log_level.empty() ? default_level : options.log_level;
  log::Level l = log::Level::kInfo;
  if (level == "debug") l = log::Level::kDebug;
  if (level == "warn") l = log::Level::kWarn;
  if (level == "error") l = log::Level::kError;
  log::init(options.log_format == "json" ? log::Format::kJson : log::Format::kText, l);
}

int exit_code_for(const Error* error) {
  if (error == nullptr) return 0;
  if (error->kind == ErrorKind::kInterrupted) {
    fmt::print(stderr, "genesys-bulk: interrupted: {}\n", log::redact(error->message));
    return kInterruptedExit;
  }
  fmt::print(stderr, "genesys-bulk: error: {}\n", log::redact(error->describe()));
  return error->kind == ErrorKind::kInvalidInput ? 2 : 1;
}

}  // namespace gb::cli
