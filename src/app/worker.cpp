#include "app/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <memory>

#include "amqp/broker_url.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "app/api_stack.hpp"
#include "app/app.hpp"
#include "base/log.hpp"
#include "config/validate.hpp"
#include "pipeline/progress.hpp"
#include "redis/redis_url.hpp"
#include "worker/amqp_ports.hpp"
#include "worker/celery_codec.hpp"
#include "worker/child_loop.hpp"
#include "worker/pipeline_slices.hpp"
#include "worker/redis_result_backend.hpp"
#include "worker/rpc_result_backend.hpp"
#include "worker/supervisor.hpp"
#include "worker/task_runner.hpp"

namespace gb::app {
namespace {

constexpr int kExitTempFail = 75;                            // the supervisor restarts the child with its backoff
constexpr auto kHeartbeatService = std::chrono::seconds(5);  // well inside heartbeat/2

struct Plan {
  WorkerOptions options;
  amqp::BrokerUrl broker;
  std::optional<redis::RedisUrl> redis;  // nullopt: rpc://
  std::string host;
};

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

class LoggingObserver final : public worker::SupervisorObserver {
 public:
  void on_started(int slot, int generation, pid_t pid) override {
    log::info("worker child started").field("slot", slot).field("generation", generation).field("pid", pid).emit();
  }
  void on_exited(const worker::ChildExit& e, std::optional<std::chrono::milliseconds> restart_in) override {
    auto event = e.clean() ? log::info("worker child ended") : log::warn("worker child died");
    event.field("slot", e.slot).field("pid", e.pid).field(e.signaled ? "signal" : "exit_code", e.status);
    if (restart_in) event.field("restart_in_ms", static_cast<std::int64_t>(restart_in->count()));
    event.emit();
  }
  void on_over_memory(int slot, pid_t pid, std::uint64_t rss) override {
    log::warn("worker child over --max-memory-per-child: recycling it")
        .field("slot", slot)
        .field("pid", pid)
        .field("rss_bytes", rss)
        .emit();
  }
  void on_shutdown(bool cold) override {
    log::info(cold ? "cold shutdown: killing children" : "warm shutdown: letting slices finish").emit();
  }
};

// One child: its own store handle, API stack, pipeline and broker connections.
int child_main(const Plan& plan, const worker::ChildContext& context) {
  const WorkerOptions& o = plan.options;
  const auto fail = [](const char* what, const Error& e) {
    log::error(what).field("error", e.describe()).emit();
    return kExitTempFail;
  };
  auto store = open_store(o.sink_url, o.state_url, config::process_env(), o.spill_dir);
  if (!store) return fail("cannot open the store", store.error());
  auto stack = ApiStack::build(o.settings, system_clock(), system_sleeper(), o.compress);
  if (!stack) return fail("cannot build the API client", stack.error());
  pipeline::PipelineSettings ps = pipeline_settings(o.settings);
  ps.spill_dir = o.spill_dir;
  ps.stop = context.stop;  // warm shutdown: the slice ends at its next safe point
  pipeline::NullProgress quiet;
  pipeline::ExportPipeline export_pipeline(ps, (*stack)->jobs(), *store->state, *store->landing, (*stack)->patience(),
                                           system_clock(), system_sleeper(), quiet);

  const worker::DelayLadder ladder(o.queue);
  amqp::ConnectionOptions connection;
  connection.connection_name = fmt::format("genesys-bulk worker {}@{}", ::getpid(), plan.host);
  auto consumer = amqp::Consumer::open(plan.broker, connection);
  if (!consumer) return fail("cannot connect to the broker", consumer.error());
  if (auto declared = worker::declare_worker_queues(consumer->connection(), ladder); !declared) {
    return fail("cannot declare the queues", declared.error());
  }
  if (auto qos = consumer->set_prefetch(1); !qos) return fail("basic.qos failed", qos.error());
  if (auto consuming = consumer->consume(o.queue); !consuming) return fail("basic.consume failed", consuming.error());
  auto publisher = amqp::Publisher::open(plan.broker, connection);
  if (!publisher) return fail("cannot connect to the broker (publisher)", publisher.error());

  worker::AmqpConsumer consumer_port(*consumer);
  worker::AmqpPublisher publisher_port(*publisher);
  const auto wall = [] { return std::chrono::system_clock::now(); };
  std::unique_ptr<worker::ResultBackend> results;
  if (plan.redis) {
    results = std::make_unique<worker::RedisResultBackend>(*plan.redis, std::chrono::hours(24), wall);
  } else {
    results = std::make_unique<worker::RpcResultBackend>(publisher_port);
  }
  const worker::CeleryTaskCodec codec;
  const worker::RetryPolicy retry(worker::RetrySettings{o.max_retries, o.retry_backoff, o.retry_backoff_max});
  worker::PipelineSliceRunner slices(export_pipeline);
  worker::RunnerSettings rs;
  rs.limits = worker::TimeLimitSettings{o.task_slice, o.soft_time_limit, o.time_limit};
  rs.worker_host = plan.host;
  rs.worker_pid = ::getpid();
  worker::TaskRunner runner(rs, codec, slices, publisher_port, *results, retry, ladder, system_clock(), wall);
  runner.set_connection_service(
      [&] {
        (void)consumer->pump();
        (void)publisher->keep_alive();
      },
      kHeartbeatService);

  worker::HardTimeLimit hard_limit;
  worker::ChildLoopSettings loop;
  loop.max_tasks_per_child = o.max_tasks_per_child;
  loop.max_memory_per_child = o.max_memory_per_child;
  loop.service = [&]() -> Status {
    if (!publisher->is_open()) return transient_error("the publisher's connection is gone");
    return publisher->keep_alive();
  };
  const auto end = worker::run_child_loop(consumer_port, runner, &hard_limit, loop, *context.stop,
                                          [](const worker::Delivery& d, const worker::Handled& h) {
                                            log::info(std::string("task ") + worker::to_string(h.action))
                                                .field("task_id", h.task_id)
                                                .field("redelivered", d.redelivered ? "yes" : "no")
                                                .field("detail", h.detail)
                                                .emit();
                                          });
  auto event = log::info("worker child leaving").field("tasks", end.tasks);
  if (end.error) event.field("error", end.error->describe());
  event.emit();
  return worker::exit_code(end);
}

}  // namespace

Status run_worker(const WorkerOptions& options, const config::EnvLookup& env) {
  Plan plan;
  plan.options = options;
  auto broker = amqp::BrokerUrl::parse(options.broker_url);
  if (!broker) return invalid_input("--broker: " + broker.error().message);
  plan.broker = *broker;
  if (options.result_backend != "rpc://") {
    auto redis = redis::RedisUrl::parse(options.result_backend);
    if (!redis) return invalid_input("--result-backend: rpc:// or redis://HOST:PORT/DB: " + redis.error().message);
    plan.redis = *redis;
  }
  if (auto urls = check_store_urls(options.sink_url, options.state_url); !urls) return std::move(urls).error();
  if (options.concurrency < 1) return invalid_input("--concurrency must be at least 1");
  auto credentials = config::load_credentials(options.credentials_file, env);
  if (!credentials) return std::move(credentials).error();
  plan.options.settings.credentials = std::move(*credentials);
  if (auto valid = config::validate(plan.options.settings); !valid) return std::move(valid).error();
  plan.host = host_name();

  log::info("worker starting")
      .field("broker", plan.broker.redacted())
      .field("queue", options.queue)
      .field("concurrency", options.concurrency)
      .field("result_backend", plan.redis ? "redis" : "rpc")
      .emit();
  worker::SupervisorSettings supervisor;
  supervisor.children = options.concurrency;
  supervisor.grace = options.grace;
  supervisor.max_memory_per_child = options.max_memory_per_child;
  LoggingObserver observer;
  worker::Supervisor fleet(
      supervisor, [&plan](const worker::ChildContext& context) { return child_main(plan, context); }, &observer);
  auto report = fleet.run();
  if (!report) return std::move(report).error();
  log::info("worker stopped")
      .field("children_started", report->started)
      .field("children_died", report->crashed)
      .field("killed", report->killed)
      .emit();
  return ok_status();
}

}  // namespace gb::app
