#include "worker/child_loop.hpp"

#include "worker/supervisor.hpp"

namespace gb::worker {

int exit_code(const ChildLoopEnd& end) {
  return end.why == ChildLoopEnd::Why::kBrokerLost ? 75 : 0;
}

ChildLoopEnd run_child_loop(Consumer& consumer, TaskRunner& runner, HardTimeLimit* hard_limit,
                            const ChildLoopSettings& settings, const StopSignal& stop,
                            const std::function<void(const Delivery&, const Handled&)>& on_handled) {
  ChildLoopEnd end;
  const auto lost = [&](Error error) {
    end.why = ChildLoopEnd::Why::kBrokerLost;
    end.error = std::move(error);
    return end;
  };
  while (!stop.requested()) {
    if (settings.max_tasks_per_child > 0 && end.tasks >= settings.max_tasks_per_child) {
      end.why = ChildLoopEnd::Why::kMaxTasks;
      return end;
    }
    if (settings.max_memory_per_child > 0) {
      const auto rss = resident_bytes();
      if (rss && *rss > settings.max_memory_per_child) {
        end.why = ChildLoopEnd::Why::kMaxMemory;
        return end;
      }
    }
    auto next = consumer.next_delivery(settings.wait);
    if (!next) return lost(std::move(next).error());
    if (settings.service) {
      if (auto serviced = settings.service(); !serviced) {
        // A delivery in hand goes back with the connection that brought it.
        return lost(std::move(serviced).error());
      }
    }
    if (!next->has_value()) continue;
    const Delivery& delivery = **next;
    if (hard_limit != nullptr) hard_limit->arm(runner.hard_limit(delivery.message));
    const Handled handled = delivery.unreadable ? runner.dead_letter_unreadable(delivery.message, *delivery.unreadable)
                                                : runner.handle(delivery.message);
    const bool ack = handled.disposition == Handled::Disposition::kAck;
    const Status settled = ack ? consumer.ack(delivery.tag) : consumer.reject(delivery.tag, true);
    if (hard_limit != nullptr) hard_limit->disarm();
    ++end.tasks;
    if (on_handled) on_handled(delivery, handled);
    if (!settled) return lost(settled.error());
    if (settings.service) {
      if (auto serviced = settings.service(); !serviced) return lost(std::move(serviced).error());
    }
    if (!ack) stop.wait_for(settings.after_requeue);
  }
  end.why = ChildLoopEnd::Why::kStopped;
  return end;
}

}  // namespace gb::worker
