#include "worker/ports.hpp"

namespace gb::worker {

const char* to_string(TaskState state) {
  switch (state) {
    case TaskState::kStarted: return "STARTED";
    case TaskState::kRetry: return "RETRY";
    case TaskState::kSuccess: return "SUCCESS";
    case TaskState::kFailure: return "FAILURE";
    case TaskState::kRevoked: return "REVOKED";
  }
  return "FAILURE";
}

}  // namespace gb::worker
