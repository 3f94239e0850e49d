#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "app/detail/verify.hpp"
#include "app/store_url.hpp"
#include "base/log.hpp"
#include "simulator/simulator.hpp"

namespace gb::app {
namespace {

// Faults a bad day brings, a few of each: the demo must land every record anyway.
simulator::Faults demo_faults() {
  simulator::Faults f;
  f.too_many_requests.count = 2;
  f.server_error.count = 2;
  f.reset_mid_body.count = 1;
  f.truncated_body.count = 1;
  f.malformed_record.count = 1;         // record 0 of every job is not valid JSON
  f.invalid_utf8.probability = 0.0005;  // quarantined with its raw bytes
  f.nul_escape.probability = 0.0005;    // valid JSON: lands as received
  f.retry_after_seconds = 1;
  f.chunks_out_of_order = true;
  return f;
}

struct DemoJob {
  std::string type;
  std::string job_id;  // empty: created through the API by the export
};

}  // namespace

Status run_demo(const DemoOptions& options, std::FILE* out) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    std::filesystem::remove(options.db_path + suffix, ec);
  }
  simulator::Settings sim;
  sim.seed = options.seed;
  sim.jobs = {{"bulk:users", 20000, 2000}, {"bulk:interactions", 10000, 2500}, {"users", 3000, 1000}};
  sim.records_per_job = 5000;  // the conversations job the demo creates through the API
  sim.job_seconds = 1.0;
  sim.faults = demo_faults();
  auto server = simulator::Server::start(sim);
  if (!server.ok()) return std::move(server).error();
  const std::string base = (*server)->base_url();
  fmt::print(out,
             "genesys-bulk demo: simulator on {}\n"
             "faults on: 429s, 503s, a reset, a truncated body, malformed and odd records\n",
             base);

  config::Settings settings;
  settings.hosts.api_url = base;
  settings.hosts.login_url = base;
  settings.credentials = {sim.client_id, sim.client_secret};
  log::register_secret(sim.client_secret);
  settings.poll.interval = std::chrono::seconds(1);
  settings.retry.base_delay = std::chrono::milliseconds(200);
  settings.retry.max_delay = std::chrono::milliseconds(5000);
  settings.breaker.cool_down = std::chrono::seconds(2);
  // On loopback a transfer stalled for 5 s is a dead connection (the
  // simulator's reset fault now and then leaves one): give up on it sooner
  // than the 60 s meant for real networks, and retry.
  settings.http.low_speed_time = std::chrono::seconds(5);
  settings.download.page_size = 1000;

  const std::string sink_url = "sqlite:" + options.db_path;
  auto store = open_store(sink_url, "");
  if (!store.ok()) return std::move(store).error();
  auto stack = ApiStack::build(settings, system_clock(), system_sleeper());
  if (!stack.ok()) return std::move(stack).error();

  std::vector<DemoJob> jobs;
  for (const auto& j : (*server)->jobs()) jobs.push_back({j.type, j.job_id});
  jobs.push_back({"conversations", ""});

  bool all_exact = true;
  bool interrupted = false;
  std::vector<std::string> lines;
  // One printer for every job: one line each, job ids shortened against each other.
  pipeline::ProgressPrinter printer(stderr, pipeline::progress_style_for(stderr), system_clock());
  std::optional<pipeline::ProgressTicker> ticker;
  if (options.progress) ticker.emplace(printer, std::chrono::milliseconds(250));
  for (const auto& job : jobs) {
    auto type = api::ExportType::parse(job.type);
    if (!type.ok()) return std::move(type).error();
    pipeline::NullProgress quiet;
    pipeline::ProgressObserver& progress = options.progress ? printer.new_job() : quiet;
    pipeline::ExportPipeline export_pipeline(pipeline_settings(settings), (*stack)->jobs(), *store->state,
                                             *store->landing, (*stack)->patience(), system_clock(), system_sleeper(),
                                             progress);
    pipeline::ExportRequest request;
    request.type = *type;
    if (job.job_id.empty()) {
      request.query_json = R"({"interval":"2026-11-01T00:00:00.000Z/2026-11-02T00:00:00.000Z"})";
    } else {
      request.job_id = job.job_id;
    }
    auto outcome = export_pipeline.run(request);
    if (!outcome.ok() && outcome.error().kind == ErrorKind::kInterrupted) {
      lines.push_back(fmt::format("  {:<18} interrupted", job.type));
      interrupted = true;
      break;
    }
    if (!outcome.ok()) {
      lines.push_back(fmt::format("  {:<18} export failed: {}", job.type, outcome.error().describe()));
      all_exact = false;
      continue;
    }
    auto landed = read_landed(*store->landing, outcome->job_id);
    if (!landed.ok()) return std::move(landed).error();
    const JobCheck check = check_job(**server, outcome->job_id, *landed);
    all_exact = all_exact && check.exact();
    lines.push_back(fmt::format("  {:<18} job {}: {} {}; {}", job.type, outcome->job_id, outcome->chunks_total,
                                type->paged() ? "pages" : "chunks", check.summary()));
  }
  ticker.reset();
  fmt::print(out, "\nsummary ({}):\n", options.db_path);
  for (const auto& line : lines) fmt::print(out, "{}\n", line);
  fmt::print(out, "\ntry:\n  sqlite3 {} \"SELECT job_id, COUNT(*) FROM records GROUP BY job_id;\"\n", options.db_path);
  fmt::print(out, "  sqlite3 {} \"SELECT chunk_id, reason FROM quarantine;\"\n", options.db_path);
  fmt::print(out, "  ./build/genesys-bulk status --sink {}\n", sink_url);
  if (interrupted)
    return interrupted_error("the demo stopped before every job had landed (it starts afresh when run again)");
  if (!all_exact) return internal_error("demo: some records did not land as expected (see the summary)");
  return ok_status();
}

}  // namespace gb::app
