#pragma once
// The queues a worker needs, declared by every worker process at start (a
// declaration that matches is a no-op, so any number of workers and Python
// producers may declare them in any order):
// - the work queue, exactly as Celery declares it (durable, no arguments):
//   a Python producer's send_task redeclares it, and any argument that
//   differs would make RabbitMQ refuse the producer (PRECONDITION_FAILED);
// - the delay ladder's queues (TTL, dead-lettering back to the work queue);
// - the dead-letter queue, durable, no arguments.
// Pure.
#include <string>
#include <vector>

#include "base/message.hpp"
#include "worker/delay_ladder.hpp"

namespace gb::worker {

struct QueueDeclaration {
  std::string name;
  bool durable = true;
  FieldTable arguments;
};

// Work queue first, then the ladder (shortest first), then the dead letters.
std::vector<QueueDeclaration> worker_queues(const DelayLadder& ladder);

}  // namespace gb::worker
