#include "app/dlq.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/publisher.hpp"
#include "worker/amqp_ports.hpp"
#include "worker/celery_codec.hpp"
#include "worker/dead_letter.hpp"
#include "worker/dlq_admin.hpp"

namespace gb::app {
namespace {

std::string when(worker::WallTime t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(s)));
}

void print_line(std::FILE* out, const worker::DeadLetterEntry& entry) {
  if (!entry.letter) {
    fmt::print(out, "{:<40} (unreadable: {})\n", entry.message_id.empty() ? "-" : entry.message_id,
               entry.letter.error().message);
    return;
  }
  const worker::DeadLetter& d = *entry.letter;
  fmt::print(out, "{:<40} {:<40} {:<12} retries {:<3} {}  {}\n", d.task_id.empty() ? "-" : d.task_id,
             d.task_name.empty() ? "-" : d.task_name, d.error_kind, d.retries, when(d.last_seen), d.reason);
}

}  // namespace

Status run_dlq(const DlqOptions& options, std::FILE* out) {
  auto url = amqp::BrokerUrl::parse(options.broker_url);
  if (!url) return invalid_input("--broker: " + url.error().message);
  const std::string queue = worker::dead_letter_queue(options.queue);
  if (options.action != "list" && options.action != "show" && options.action != "replay" && options.action != "purge") {
    return invalid_input("dlq: expected list, show ID, replay ID or purge");
  }
  if ((options.action == "show" || options.action == "replay") && options.task_id.empty()) {
    return invalid_input("dlq " + options.action + ": which task id?");
  }
  auto connection = amqp::Connection::open(*url);
  if (!connection) return std::move(connection).error();
  worker::AmqpQueueReader reader(*connection, queue);
  if (options.action == "purge") {
    auto purged = reader.purge();
    if (!purged) return std::move(purged).error();
    fmt::print(out, "{}: {} dead letters removed\n", queue, *purged);
    return ok_status();
  }
  if (options.action == "list") {
    auto entries = worker::list_dead_letters(reader, options.limit);
    if (!entries) return std::move(entries).error();
    for (const auto& entry : *entries) print_line(out, entry);
    fmt::print(out, "{}: {} dead letters{}\n", queue, entries->size(),
               entries->size() == options.limit ? " (the limit: there may be more)" : "");
    return ok_status();
  }
  if (options.action == "show") {
    auto letter = worker::show_dead_letter(reader, options.task_id, options.limit);
    if (!letter) return std::move(letter).error();
    fmt::print(out, "{}\n", worker::to_json(*letter));
    return ok_status();
  }
  auto publisher = amqp::Publisher::open(*url);
  if (!publisher) return std::move(publisher).error();
  worker::AmqpPublisher publisher_port(*publisher);
  const worker::CeleryTaskCodec codec;
  auto replayed = worker::replay_dead_letter(reader, publisher_port, codec, options.task_id, options.limit);
  if (!replayed) return std::move(replayed).error();
  fmt::print(out, "task {} re-published to {} with its retries reset\n", replayed->task_id, replayed->queue);
  return ok_status();
}

}  // namespace gb::app
