#include "app/submit.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <random>
#include <thread>

#include "amqp/broker_url.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "base/json.hpp"
#include "celery/results.hpp"
#include "celery/task_message.hpp"
#include "redis/client.hpp"
#include "redis/redis_url.hpp"

namespace gb::app {
namespace {

using Steady = std::chrono::steady_clock;

// A random (version 4) UUID, as Celery's task ids are.
std::string uuid4() {
  std::random_device device;
  std::array<std::uint8_t, 16> b{};
  for (auto& byte : b) byte = static_cast<std::uint8_t>(device() & 0xffU);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0fU) | 0x40U);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3fU) | 0x80U);
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

// The end of a wait: the result, or why it failed.
Status finish(const celery::TaskResult& result, std::FILE* out) {
  if (result.state == celery::TaskState::kSuccess) {
    fmt::print(out, "{}\n", result.result_json);
    return ok_status();
  }
  auto exception = celery::decode_exception(result.result_json);
  const std::string why = exception ? exception->describe() : result.result_json;
  return permanent_error(fmt::format("task {} {}: {}", result.task_id, celery::to_string(result.state), why));
}

Status wait_rpc(amqp::Consumer& replies, const std::string& task_id, std::chrono::seconds timeout, std::FILE* out) {
  for (const auto until = Steady::now() + timeout; Steady::now() < until;) {
    auto got = replies.next_delivery(std::chrono::seconds(1));
    if (!got) return std::move(got).error();
    if (!got->has_value()) continue;
    (void)replies.ack((*got)->tag);
    if ((*got)->message.correlation_id != task_id) continue;
    auto result = celery::decode_result((*got)->message.body);
    if (!result) return std::move(result).error();
    if (celery::is_ready(result->state)) return finish(*result, out);
  }
  return transient_error(fmt::format("no result for task {} within {} s", task_id, timeout.count()));
}

Status wait_redis(const redis::RedisUrl& url, const std::string& task_id, std::chrono::seconds timeout,
                  std::FILE* out) {
  auto client = redis::Client::connect(url);
  if (!client) return std::move(client).error();
  for (const auto until = Steady::now() + timeout; Steady::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(500))) {
    auto value = client->get(celery::redis_result_key(task_id));
    if (!value) return std::move(value).error();
    if (!value->has_value()) continue;
    auto result = celery::decode_result(**value);
    if (!result) return std::move(result).error();
    if (celery::is_ready(result->state)) return finish(*result, out);
  }
  return transient_error(fmt::format("no result for task {} within {} s", task_id, timeout.count()));
}

}  // namespace

Status run_submit(const SubmitOptions& o, std::FILE* out) {
  auto url = amqp::BrokerUrl::parse(o.broker_url);
  if (!url) return invalid_input("--broker: " + url.error().message);
  if (o.type.empty()) return invalid_input("--type is required");
  if (o.job_id.empty() == o.query_json.empty()) return invalid_input("give --job-id or --query, one of them");
  std::optional<redis::RedisUrl> redis;
  if (o.wait && o.result_backend != "rpc://") {
    auto parsed = redis::RedisUrl::parse(o.result_backend);
    if (!parsed) return invalid_input("--result-backend: rpc:// or redis://HOST:PORT/DB: " + parsed.error().message);
    redis = *parsed;
  }
  celery::TaskRequest task;
  task.id = uuid4();
  if (o.job_id.empty()) {
    task.task = "bulk_processor.submit_bulk_job";
    task.args_json = "[" + json_string(o.type) + ", " + o.query_json + "]";
  } else {
    task.task = "bulk_processor.process_bulk_job_task";
    task.args_json = "[" + json_string(o.job_id) + ", " + json_string(o.type) + "]";
  }

  auto publisher = amqp::Publisher::open(*url);
  if (!publisher) return std::move(publisher).error();
  // Declared as Celery's send_task declares it (durable, no arguments).
  if (auto declared = publisher->connection().declare_queue(o.queue, true); !declared) return declared;
  std::optional<amqp::Consumer> replies;
  const std::string reply_queue = "genesys-bulk.reply." + task.id;
  if (o.wait && !redis) {
    auto consumer = amqp::Consumer::open(*url);
    if (!consumer) return std::move(consumer).error();
    replies.emplace(std::move(*consumer));
    if (auto declared = replies->connection().declare_queue(reply_queue, false); !declared) return declared;
    if (auto consuming = replies->consume(reply_queue); !consuming) return consuming;
    task.reply_to = reply_queue;
  }
  auto published = publisher->publish("", o.queue, celery::encode_task(task));
  if (!published) return published;
  fmt::print(out, "{}\n", task.id);
  std::fflush(out);
  if (!o.wait) return ok_status();
  Status waited = redis ? wait_redis(*redis, task.id, o.timeout, out) : wait_rpc(*replies, task.id, o.timeout, out);
  if (replies) (void)replies->connection().delete_queue(reply_queue);
  return waited;
}

}  // namespace gb::app
