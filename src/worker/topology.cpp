#include "worker/topology.hpp"

#include "worker/dead_letter.hpp"

namespace gb::worker {

std::vector<QueueDeclaration> worker_queues(const DelayLadder& ladder) {
  std::vector<QueueDeclaration> queues;
  queues.push_back({ladder.work_queue(), true, {}});
  for (const auto& step : ladder.steps()) queues.push_back({step.queue, true, ladder.queue_arguments(step)});
  queues.push_back({dead_letter_queue(ladder.work_queue()), true, {}});
  return queues;
}

}  // namespace gb::worker
