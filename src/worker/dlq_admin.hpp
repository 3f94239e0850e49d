#pragma once
// What `genesys-bulk dlq list | show ID | replay ID | purge` does, over a
// reader of the dead-letter queue (amqp/'s basic.get on its own connection).
//
// Reading is not destructive: messages are taken with basic.get (not
// auto-ack), held unacknowledged while they are looked at, then handed back
// with reject(requeue), which RabbitMQ puts back at their place in the
// queue (and would do anyway if the connection dropped). Only a replay acks
// the one it re-published, after the broker confirmed the re-publish: a
// crash in between leaves the dead letter where it was (at-least-once: a
// replay may run twice, which the ledger makes harmless).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "worker/dead_letter.hpp"
#include "worker/ports.hpp"
#include "worker/task.hpp"

namespace gb::worker {

// Contract as amqp::Connection's basic_get / ack / reject / purge_queue on the
// dead-letter queue. Not thread-safe.
class QueueReader {
 public:
  virtual ~QueueReader() = default;
  virtual Result<std::optional<Delivery>> get() = 0;  // nullopt: nothing (more) ready
  virtual Status ack(std::uint64_t tag) = 0;
  virtual Status reject(std::uint64_t tag, bool requeue) = 0;
  virtual Result<std::uint32_t> purge() = 0;  // how many were removed
};

struct DeadLetterEntry {
  std::string message_id;     // the task id, or "" for an undecodable message
  Result<DeadLetter> letter;  // an Error for a document this version cannot read
};

// Up to `limit` dead letters, oldest first; all of them stay in the queue.
Result<std::vector<DeadLetterEntry>> list_dead_letters(QueueReader& reader, std::size_t limit);

// The first dead letter of task `task_id` among the first `scan_limit`;
// kInvalidInput when there is none. It stays in the queue.
Result<DeadLetter> show_dead_letter(QueueReader& reader, std::string_view task_id, std::size_t scan_limit);

// Re-publishes the original message of task `task_id` to the queue it came
// from, with its retries reset (replay_message, or codec.reschedule for a
// protocol 1 message), confirmed; then acks that dead letter. The others
// stay. Returns the dead letter replayed.
Result<DeadLetter> replay_dead_letter(QueueReader& reader, Publisher& publisher, const TaskCodec& codec,
                                      std::string_view task_id, std::size_t scan_limit);

}  // namespace gb::worker
