// `genesys-bulk simulate`: the options of the Genesys Cloud API simulator.
// They are taken as strings and checked by app::run_simulate, so every bad
// flag gets one clear line and exit code 2.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/simulate.hpp"
#include "cli/commands.hpp"

namespace gb::cli {
namespace {

int run(const app::SimulateOptions& options, const std::vector<std::string>& extras) {
  if (!extras.empty()) {
    std::fprintf(stderr, "genesys-bulk simulate: unknown argument '%s' (see --help)\n", extras.front().c_str());
    return 2;
  }
  const Status status = app::run_simulate(options, stdout);
  if (status.ok()) return 0;
  std::fprintf(stderr, "genesys-bulk simulate: %s\n", status.error().message.c_str());
  return status.error().kind == ErrorKind::kInvalidInput ? 2 : 1;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<app::SimulateOptions>();
  auto* cmd = app.add_subcommand("simulate", "Run the Genesys Cloud API simulator on loopback");
  cmd->allow_extras();
  cmd->add_option("--host", flags->host, "IPv4 address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", flags->port, "TCP port; 0 picks a free one (default 0)");
  cmd->add_option("--seed", flags->seed, "seed of all data, ids and probabilistic faults (default 1)");
  cmd->add_option("--job", flags->jobs,
                  "a job that exists from the start: TYPE:RECORDS[:CHUNK_RECORDS], TYPE = conversations | users | "
                  "bulk:<users|interactions|analytics>; repeatable");
  cmd->add_option("--records-per-job", flags->records_per_job,
                  "records of jobs created through the API (default 1000)");
  cmd->add_option("--chunk-records", flags->chunk_records,
                  "chunk size / default pageSize of jobs created through the API (default 5000)");
  cmd->add_option("--client-id", flags->client_id, "accepted OAuth client id (default sim-client)");
  cmd->add_option("--client-secret", flags->client_secret, "accepted OAuth client secret (default sim-secret)");
  cmd->add_option("--job-seconds", flags->job_seconds, "seconds a job spends queued+processing (default 2)");
  cmd->add_option("--token-ttl", flags->token_ttl, "expires_in of issued tokens, seconds (default 86399)");
  cmd->add_option("--rate-limit", flags->rate_limit, "API request budget per window, N/SECONDS (default 300/60)");
  cmd->add_option("--record-bytes", flags->record_bytes, "pad every record to this many bytes (default 0: natural)");
  cmd->add_option("--huge-chunk-mb", flags->huge_chunk_mb, "make chunk 0 of every bulk job about this big (default 0)");
  cmd->add_option("--threads", flags->threads, "server threads (default 4)");
  cmd->add_option("--cache-mb", flags->cache_mb, "bound on cached chunk bodies, MiB (default 512)");
  cmd->add_option("--slow-ms", flags->slow_ms, "delay of --fault-slow responses (default 1000)");
  cmd->add_option("--retry-after", flags->retry_after, "Retry-After of --fault-429 responses, seconds (default 2)");
  cmd->add_option("--outage", flags->outage, "every request 503 for a while: AFTER_SECONDS:SECONDS");
  cmd->add_flag("--chunks-out-of-order", flags->out_of_order, "list bulk chunks shuffled");
  for (const auto& flag : app::simulate_fault_flags()) {
    auto name = std::string(flag.name);
    cmd->add_option_function<std::string>(
        "--fault-" + name, [flags, name](const std::string& v) { flags->fault_values.emplace_back(name, v); },
        std::string(flag.help) + ": a probability (0.05) or a count of first events (3)");
  }
  cmd->callback([flags, cmd, &exit_code] { exit_code = run(*flags, cmd->remaining()); });
}

}  // namespace gb::cli
