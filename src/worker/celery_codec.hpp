#pragma once
// worker::TaskCodec over celery/: Celery's protocol 1 and 2 in, protocol 2
// out (what Python's Task.retry publishes).
#include "worker/task.hpp"

namespace gb::worker {

class CeleryTaskCodec final : public TaskCodec {
 public:
  Result<Task> decode(const Message& message) const override;
  Result<Message> reschedule(const Message& original, int retries, std::optional<WallTime> eta) const override;
};

}  // namespace gb::worker
