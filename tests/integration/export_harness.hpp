#pragma once
// An export against the simulator started in-process on port 0, into a real
// SQLite file in a fresh temporary directory, through the real HTTP stack.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "app/detail/verify.hpp"
#include "app/store_url.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "pipeline/pipeline.hpp"
#include "simulator/simulator.hpp"
#include "testing/fake_clock.hpp"

namespace gb::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gb-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Simulator settings fit for tests: fast jobs, no rate limit in the way.
inline simulator::Settings quick_simulator() {
  simulator::Settings s;
  s.seed = 11;
  s.job_seconds = 0.2;
  s.rate_limit_requests = 100000;
  s.faults.retry_after_seconds = 1;
  return s;
}

class ExportHarness {
 public:
  explicit ExportHarness(const simulator::Settings& sim) {
    log::init(log::Format::kText, log::Level::kWarn);
    auto server = simulator::Server::start(sim);
    if (!server.ok()) throw std::runtime_error("simulator: " + server.error().describe());
    server_ = std::move(*server);
    db_path_ = (dir_.path() / "out.db").string();
    settings_.hosts.api_url = server_->base_url();
    settings_.hosts.login_url = server_->base_url();
    settings_.credentials = {sim.client_id, sim.client_secret};
    settings_.rate.requests = 100000;
    settings_.breaker.cool_down = std::chrono::seconds(1);
    pipeline_ = app::pipeline_settings(settings_);
    pipeline_.poll_interval = std::chrono::milliseconds(100);
    pipeline_.retry.base_delay = std::chrono::milliseconds(10);
    pipeline_.retry.max_delay = std::chrono::milliseconds(200);
    pipeline_.spill_dir = dir_.path();
  }

  simulator::Server& server() { return *server_; }
  const std::string& db_path() const { return db_path_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  pipeline::PipelineSettings& pipeline_settings() { return pipeline_; }
  // What the API stack is built from (max_outage, hosts...), for the next run().
  config::Settings& settings() { return settings_; }
  // Our side's time for the next run(): share it with the simulator
  // (simulator::Settings::clock) so that waits are stepped, not slept.
  void use_clock(FakeClock& clock) {
    clock_ = &clock;
    sleeper_ = &clock;
  }
  std::string job(std::size_t i) const { return server_->jobs().at(i).job_id; }

  // One export run, as `export` does it, with a fresh sink and stack (a new process, as far as the store knows).
  Result<pipeline::ExportOutcome> run(const std::string& type, const std::string& job_id,
                                      const std::string& query = "{}", pipeline::ProgressObserver* progress = nullptr) {
    auto store = app::open_store("sqlite:" + db_path_, "");
    if (!store.ok()) return std::move(store).error();
    auto stack = app::ApiStack::build(settings_, *clock_, *sleeper_);
    if (!stack.ok()) return std::move(stack).error();
    pipeline::NullProgress quiet;
    pipeline::ExportPipeline p(pipeline_, (*stack)->jobs(), *store->state, *store->landing, (*stack)->patience(),
                               *clock_, *sleeper_, progress != nullptr ? *progress : quiet);
    pipeline::ExportRequest request;
    auto parsed = api::ExportType::parse(type);
    if (!parsed.ok()) return std::move(parsed).error();
    request.type = *parsed;
    request.query_json = query;
    if (!job_id.empty()) request.job_id = job_id;
    auto outcome = p.run(request);
    budget_high_water_ = p.memory_budget().high_water();
    return outcome;
  }

  // One worker slice (ExportPipeline::run_slice), as a worker task runs it:
  // a fresh sink and stack, `budget` of time on our side's clock.
  Result<pipeline::SliceOutcome> run_slice(const std::string& type, const std::string& job_id,
                                           const std::optional<std::string>& key, Duration budget,
                                           const StopSignal* cancel = nullptr, const std::string& query = "{}") {
    auto store = app::open_store("sqlite:" + db_path_, "");
    if (!store.ok()) return std::move(store).error();
    auto stack = app::ApiStack::build(settings_, *clock_, *sleeper_);
    if (!stack.ok()) return std::move(stack).error();
    pipeline::NullProgress quiet;
    pipeline::ExportPipeline p(pipeline_, (*stack)->jobs(), *store->state, *store->landing, (*stack)->patience(),
                               *clock_, *sleeper_, quiet);
    pipeline::ExportRequest request;
    auto parsed = api::ExportType::parse(type);
    if (!parsed.ok()) return std::move(parsed).error();
    request.type = *parsed;
    request.query_json = query;
    if (!job_id.empty()) request.job_id = job_id;
    request.idempotency_key = key;
    return p.run_slice(request, pipeline::SliceLimits{clock_->now() + budget, cancel});
  }

  // The most chunk data the last run() held in memory at once.
  std::uint64_t budget_high_water() const { return budget_high_water_; }

  app::JobCheck check(const std::string& job_id) {
    auto landed = app::read_landed(db_path_, job_id);
    EXPECT_TRUE(landed.ok()) << (landed.ok() ? "" : landed.error().describe());
    if (!landed.ok()) return {};
    return app::check_job(*server_, job_id, *landed);
  }

  std::vector<sinks::JobStatus> status() {
    auto store = app::open_store("sqlite:" + db_path_, "");
    EXPECT_TRUE(store.ok());
    auto s = store->state->status(std::nullopt);
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : std::vector<sinks::JobStatus>{};
  }

 private:
  TempDir dir_;
  std::unique_ptr<simulator::Server> server_;
  std::string db_path_;
  config::Settings settings_;
  pipeline::PipelineSettings pipeline_;
  Clock* clock_ = &system_clock();
  Sleeper* sleeper_ = &system_sleeper();
  std::uint64_t budget_high_water_ = 0;
};

}  // namespace gb::testing
