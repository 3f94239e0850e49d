#pragma once
// A thread that lives as long as one slice runs, for two things the slice's
// own thread cannot do while it downloads and lands:
// - the soft time limit: request the slice's cancellation when it passes;
// - the broker connections' heartbeats: rabbitmq-c answers them only from
//   inside a call, and a slice may last minutes, so `service` (the consumer's
//   pump() and the publisher's keep_alive()) is called every `interval`.
//   The slice's thread must not use those connections meanwhile (it does
//   not: it talks to the API and the store; the runner publishes and acks
//   after the watch has ended).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/stop.hpp"

namespace gb::worker {

class SliceWatch {
 public:
  // `cancel` is requested once `soft_limit` has passed (nullopt: never);
  // `service` (may be empty) is called every `interval`. No thread is started
  // when there is nothing to do. `cancel` must outlive the watch. `service`
  // must not throw (what it throws is dropped).
  SliceWatch(StopSignal& cancel, std::optional<std::chrono::milliseconds> soft_limit, std::function<void()> service,
             std::chrono::milliseconds interval);
  // Stops and joins the thread: after it, `service` is not running.
  ~SliceWatch();
  SliceWatch(const SliceWatch&) = delete;
  SliceWatch& operator=(const SliceWatch&) = delete;

  // The soft limit passed and the cancellation was requested by the watch.
  bool fired() const;

 private:
  void run(std::optional<std::chrono::steady_clock::time_point> soft_at);

  StopSignal& cancel_;
  std::function<void()> service_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace gb::worker
