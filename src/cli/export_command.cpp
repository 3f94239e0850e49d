#include <fmt/format.h>

#include <charconv>

#include "app/app.hpp"
#include "base/stop.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace gb::cli {
namespace {

struct ExportFlags {
  app::ExportOptions options;
  GlobalOptions global;
  int poll_interval_s = 15;
  long max_job_wait_s = 24L * 3600;
  int max_outage_s = 300;
  std::string rate_limit;  // N or N/SECONDS
  double spill_threshold_mb = 200;
  double memory_budget_mb = 48;
  double max_record_mb = 2;
  int breaker_cooldown_s = 30;
  int token_refresh_buffer_s = 120;
  bool no_progress = false;
  bool no_compression = false;
};

// "300" (per minute) or "300/60".
bool parse_rate(const std::string& text, config::RateSettings& rate) {
  const auto slash = text.find('/');
  const std::string n = text.substr(0, slash);
  int requests = 0;
  int window = 60;
  if (std::from_chars(n.data(), n.data() + n.size(), requests).ec != std::errc{} || requests <= 0) return false;
  if (slash != std::string::npos) {
    const std::string w = text.substr(slash + 1);
    if (std::from_chars(w.data(), w.data() + w.size(), window).ec != std::errc{} || window <= 0) return false;
  }
  rate.requests = requests;
  rate.window = std::chrono::seconds(window);
  return true;
}

int run(ExportFlags& f) {
  init_logging(f.global, "info");
  auto& s = f.options.settings;
  s.poll.interval = std::chrono::seconds(f.poll_interval_s);
  s.poll.max_job_wait = std::chrono::seconds(f.max_job_wait_s);
  s.retry.max_outage = std::chrono::seconds(f.max_outage_s);
  s.download.spill_threshold_bytes = static_cast<std::uint64_t>(f.spill_threshold_mb * 1024 * 1024);
  s.download.memory_budget_bytes = static_cast<std::uint64_t>(f.memory_budget_mb * 1024 * 1024);
  s.download.max_record_bytes = static_cast<std::uint64_t>(f.max_record_mb * 1024 * 1024);
  s.breaker.cool_down = std::chrono::seconds(f.breaker_cooldown_s);
  s.token.refresh_buffer = std::chrono::seconds(f.token_refresh_buffer_s);
  if (!f.rate_limit.empty() && !parse_rate(f.rate_limit, s.rate)) {
    const Error e = invalid_input(fmt::format("--rate-limit \"{}\": expected N or N/SECONDS", f.rate_limit));
    return exit_code_for(&e);
  }
  f.options.progress = !f.no_progress;
  f.options.compress = !f.no_compression;
  install_stop_handlers();  // Ctrl-C: stop between chunks, exit 130
  auto outcome = app::run_export(f.options);
  if (!outcome.ok()) return exit_code_for(&outcome.error());
  const auto& o = *outcome;
  fmt::print("job {} ({}): {} of {} chunks landed now, {} earlier; {} records landed, {} quarantined, {:.1f} MB\n",
             o.job_id, o.created ? "created" : "adopted", o.chunks_landed, o.chunks_total, o.chunks_skipped, o.records,
             o.quarantined, static_cast<double>(o.bytes) / 1e6);
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  auto& o = flags->options;
  auto& s = o.settings;
  auto* cmd =
      app.add_subcommand("export", "Export one job into a store: create or adopt it, poll it, land every record");
  cmd->add_option("--type", o.type, "conversations | users | bulk:<jobType>")->required();
  cmd->add_option("--interval", o.interval, "START/END in ISO 8601 (the job's interval)");
  cmd->add_option("--query", o.query_file, "A file holding the whole query / filter as a JSON object");
  cmd->add_option("--job-id", o.job_id, "Adopt this existing job instead of creating one");
  add_store_options(*cmd, o.sink_url, o.state_url);
  add_genesys_options(*cmd, s.hosts, o.credentials_file);
  cmd->add_option("--poll-interval", flags->poll_interval_s,
                  "Longest wait between polls, seconds (the first after 1 s, then doubling)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--max-job-wait,--max-poll", flags->max_job_wait_s,
                  "Give up when the job is still queued or running after this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(1L, 7L * 24 * 3600));
  cmd->add_option("--max-outage", flags->max_outage_s,
                  "Give up (resumably) when every API call has failed for this many seconds, or the server asks "
                  "to wait longer")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--concurrency", s.download.concurrency, "Chunk downloads at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--page-size", s.download.page_size, "Analytics results page size")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-attempts", s.retry.max_attempts, "Tries per call or chunk, the first included")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--rate-limit", flags->rate_limit, "The org's request budget: N per minute, or N/SECONDS");
  cmd->add_option("--spill-threshold-mb", flags->spill_threshold_mb, "Chunks larger than this go to a temp file")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e6));
  cmd->add_option("--memory-budget", flags->memory_budget_mb,
                  "MB of chunk data held in memory at once; beyond it downloads wait or spill to --spill-dir")
      ->capture_default_str()
      ->check(CLI::Range(16.0, 1e6));
  cmd->add_option("--max-record-size", flags->max_record_mb,
                  "MB; a larger record goes to the quarantine whole (at most half the memory budget, less 1 MB)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e6));
  cmd->add_option("--spill-dir", o.spill_dir,
                  "Where temporary files go: spilled chunks, S3 objects being uploaded (default: the system temp dir)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--breaker-threshold", s.breaker.failure_threshold, "Consecutive 429/503 that pause all calls")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--breaker-cooldown", flags->breaker_cooldown_s, "Seconds the breaker stays open")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--token-refresh-buffer", flags->token_refresh_buffer_s,
                  "Refresh the token when this many seconds of life are left")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  cmd->add_flag("--no-progress", flags->no_progress, "No progress bar or progress lines");
  cmd->add_flag("--no-compression", flags->no_compression,
                "Ask for uncompressed bodies (faster over loopback or a fast LAN)");
  add_log_options(*cmd, flags->global);
  cmd->callback([flags, &exit_code] { exit_code = run(*flags); });
}

}  // namespace gb::cli
