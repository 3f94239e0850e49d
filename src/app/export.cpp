#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "app/store_url.hpp"
#include "base/json.hpp"
#include "base/log.hpp"
#include "config/validate.hpp"
#include "pipeline/progress.hpp"

namespace gb::app {
namespace {

constexpr std::size_t kMaxQueryBytes = 1 << 20;
constexpr auto kProgressTick = std::chrono::milliseconds(250);  // a waiting job's clock moves on screen

Result<std::string> read_query_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_input(fmt::format("--query {}: cannot read the file", path));
  std::string text;
  text.resize(kMaxQueryBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxQueryBytes) return invalid_input(fmt::format("--query {}: larger than 1 MiB", path));
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return invalid_input(fmt::format("--query {}: not a JSON object", path));
  }
  return text;
}

}  // namespace

pipeline::PipelineSettings pipeline_settings(const config::Settings& s) {
  pipeline::PipelineSettings p;
  p.concurrency = s.download.concurrency;
  p.page_size = s.download.page_size;
  p.spill_threshold_bytes = s.download.spill_threshold_bytes;
  p.memory_budget_bytes = s.download.memory_budget_bytes;
  p.max_record_bytes = s.download.max_record_bytes;
  p.retry.max_attempts = s.retry.max_attempts;
  p.retry.base_delay = s.retry.base_delay;
  p.retry.max_delay = s.retry.max_delay;
  p.poll_interval = s.poll.interval;
  p.max_job_wait = s.poll.max_job_wait;
  return p;
}

Result<std::string> export_query(const ExportOptions& options, const api::ExportType& type) {
  if (!options.query_file.empty() && !options.interval.empty()) {
    return invalid_input("give --interval or --query, not both");
  }
  if (!options.query_file.empty()) return read_query_file(options.query_file);
  if (!options.interval.empty()) {
    const auto slash = options.interval.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == options.interval.size() ||
        options.interval.find('/', slash + 1) != std::string::npos || options.interval.size() > 200) {
      return invalid_input(
          fmt::format("--interval \"{}\": expected START/END in ISO 8601, e.g. "
                      "2026-11-01T00:00:00.000Z/2026-11-02T00:00:00.000Z",
                      options.interval));
    }
    return "{\"interval\":" + json_string(options.interval) + "}";
  }
  if (type.paged() && options.job_id.empty()) {
    return invalid_input(fmt::format("--type {}: --interval START/END or --query FILE is required", type.to_string()));
  }
  return std::string("{}");
}

Result<pipeline::ExportOutcome> run_export(const ExportOptions& options, const config::EnvLookup& env) {
  auto type = api::ExportType::parse(options.type);
  if (!type.ok()) {
    Error e = std::move(type).error();
    e.message = fmt::format("--type \"{}\": {}", options.type, e.message);
    return e;
  }
  auto query = export_query(options, *type);
  if (!query.ok()) return std::move(query).error();
  if (auto urls = check_store_urls(options.sink_url, options.state_url); !urls.ok()) return std::move(urls).error();

  config::Settings settings = options.settings;
  auto credentials = config::load_credentials(options.credentials_file, env);
  if (!credentials.ok()) return std::move(credentials).error();
  settings.credentials = std::move(*credentials);
  if (auto valid = config::validate(settings); !valid.ok()) return std::move(valid).error();

  auto store = open_store(options.sink_url, options.state_url, env, options.spill_dir);
  if (!store.ok()) return std::move(store).error();
  // The breaker's state goes to the store, where `status` shows it. A change
  // may wait for a landing in progress: changes are rare, landings short.
  sinks::StateStore& state_store = *store->state;
  auto record_breaker = [&state_store](resilience::BreakerState state, const char* why) {
    if (auto recorded = state_store.record_api_health(resilience::to_string(state), why); !recorded.ok()) {
      log::warn("could not record the circuit breaker state").field("error", recorded.error().describe()).emit();
    }
  };
  record_breaker(resilience::BreakerState::kClosed, "export started");
  auto stack = ApiStack::build(settings, system_clock(), system_sleeper(), options.compress, record_breaker);
  if (!stack.ok()) return std::move(stack).error();

  pipeline::NullProgress quiet;
  pipeline::ProgressPrinter printer(stderr, pipeline::progress_style_for(stderr), system_clock());
  pipeline::ProgressObserver& progress = options.progress ? printer.new_job() : quiet;
  pipeline::ProgressTicker ticker(printer, kProgressTick);
  pipeline::PipelineSettings ps = pipeline_settings(settings);
  ps.spill_dir = options.spill_dir;
  pipeline::ExportPipeline export_pipeline(ps, (*stack)->jobs(), state_store, *store->landing, (*stack)->patience(),
                                           system_clock(), system_sleeper(), progress);
  pipeline::ExportRequest request;
  request.type = *type;
  request.query_json = std::move(*query);
  if (!options.job_id.empty()) request.job_id = options.job_id;
  return export_pipeline.run(request);
}

}  // namespace gb::app
