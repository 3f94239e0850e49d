#include "worker/slice_watch.hpp"

#include <algorithm>

namespace gb::worker {

using Steady = std::chrono::steady_clock;

SliceWatch::SliceWatch(StopSignal& cancel, std::optional<std::chrono::milliseconds> soft_limit,
                       std::function<void()> service, std::chrono::milliseconds interval)
    : cancel_(cancel), service_(std::move(service)), interval_(std::max(interval, std::chrono::milliseconds(1))) {
  if (!soft_limit && !service_) return;
  std::optional<Steady::time_point> soft_at;
  if (soft_limit) soft_at = Steady::now() + *soft_limit;
  thread_ = std::thread([this, soft_at] { run(soft_at); });
}

SliceWatch::~SliceWatch() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SliceWatch::fired() const {
  std::lock_guard lock(mutex_);
  return fired_;
}

void SliceWatch::run(std::optional<Steady::time_point> soft_at) {
  std::unique_lock lock(mutex_);
  auto next_service = Steady::now() + interval_;
  while (!done_) {
    auto until = service_ ? next_service : Steady::time_point::max();
    if (soft_at && !fired_) until = std::min(until, *soft_at);
    if (until == Steady::time_point::max()) {
      wake_.wait(lock, [this] { return done_; });
      break;
    }
    wake_.wait_until(lock, until, [this] { return done_; });
    if (done_) break;
    const auto now = Steady::now();
    if (soft_at && !fired_ && now >= *soft_at) {
      fired_ = true;
      cancel_.request();
    }
    if (service_ && now >= next_service) {
      next_service = now + interval_;
      lock.unlock();  // the destructor may wait for the lock meanwhile: it joins after
      try {
        service_();
      } catch (...) {  // NOLINT(bugprone-empty-catch): nothing may leave this thread
      }
      lock.lock();
    }
  }
}

}  // namespace gb::worker
