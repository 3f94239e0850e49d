#include "pipeline/memory_budget.hpp"

#include <algorithm>
#include <utility>

namespace gb::pipeline {

void MemoryBudget::take_locked(std::uint64_t bytes, Hold hold) {
  used_ += bytes;
  if (hold == Hold::kAdmitted) admitted_ += bytes;
  if (hold == Hold::kSettled) settled_ += bytes;
  high_water_ = std::max(high_water_, used_);
}

// Whether the waiter with `ticket` may take `bytes` now: they fit, and no
// older ticket is waiting.
bool MemoryBudget::served_locked(std::uint64_t bytes, std::uint64_t ticket) const {
  return bytes <= limit_ - used_ && *waiting_.begin() == ticket;
}

bool MemoryBudget::try_reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > limit_ - used_) return false;
  take_locked(bytes, Hold::kOpen);
  return true;
}

bool MemoryBudget::reserve_or_wait(std::uint64_t bytes, std::uint64_t ticket, Hold hold) {
  std::unique_lock lock(mutex_);
  waiting_.insert(ticket);
  released_.wait(lock, [&] { return served_locked(bytes, ticket) || settled_ == 0; });
  waiting_.erase(ticket);
  const bool fits = bytes <= limit_ - used_;
  if (fits) take_locked(bytes, hold);
  lock.unlock();
  released_.notify_all();  // the next ticket in line may go now
  return fits;
}

bool MemoryBudget::admit(std::uint64_t bytes, std::uint64_t ticket) {
  std::unique_lock lock(mutex_);
  waiting_.insert(ticket);
  // Waiting helps only while admitted or settled bytes will come back, and
  // only if they would make room: the rest (the writer's, other downloads'
  // working buffers) stays for now.
  released_.wait(lock, [&] {
    const std::uint64_t returning = admitted_ + settled_;
    return served_locked(bytes, ticket) || returning == 0 || bytes > limit_ - (used_ - returning);
  });
  waiting_.erase(ticket);
  const bool fits = bytes <= limit_ - used_;
  if (fits) take_locked(bytes, Hold::kAdmitted);
  lock.unlock();
  released_.notify_all();
  return fits;
}

std::uint64_t MemoryBudget::next_ticket() {
  std::lock_guard lock(mutex_);
  return ++tickets_;
}

std::uint64_t MemoryBudget::reserve_waiting(std::uint64_t bytes) {
  bytes = std::min(bytes, limit_);
  std::unique_lock lock(mutex_);
  released_.wait(lock, [&] { return bytes <= limit_ - used_; });
  take_locked(bytes, Hold::kOpen);
  return bytes;
}

void MemoryBudget::settle(std::uint64_t bytes, Hold from) {
  {
    std::lock_guard lock(mutex_);
    if (from == Hold::kAdmitted) admitted_ -= std::min(bytes, admitted_);
    if (from != Hold::kSettled) settled_ += bytes;
  }
  released_.notify_all();  // an admission waiting on admitted bytes may now wait on settled ones
}

void MemoryBudget::release(std::uint64_t bytes, Hold hold) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mutex_);
    used_ -= std::min(bytes, used_);
    if (hold == Hold::kAdmitted) admitted_ -= std::min(bytes, admitted_);
    if (hold == Hold::kSettled) settled_ -= std::min(bytes, settled_);
  }
  released_.notify_all();
}

std::uint64_t MemoryBudget::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

std::size_t MemoryBudget::waiters() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

std::uint64_t MemoryBudget::high_water() const {
  std::lock_guard lock(mutex_);
  return high_water_;
}

Reservation::Reservation(Reservation&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      ticket_(other.ticket_),
      hold_(std::exchange(other.hold_, MemoryBudget::Hold::kOpen)) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    ticket_ = other.ticket_;
    hold_ = std::exchange(other.hold_, MemoryBudget::Hold::kOpen);
  }
  return *this;
}

bool Reservation::admit(std::uint64_t bytes) {
  if (budget_ == nullptr || bytes_ != 0 || !budget_->admit(bytes, ticket_)) return false;
  bytes_ = bytes;
  hold_ = MemoryBudget::Hold::kAdmitted;
  return true;
}

bool Reservation::grow_or_wait(std::uint64_t bytes) {
  if (budget_ == nullptr || !budget_->reserve_or_wait(bytes, ticket_, hold_)) return false;
  bytes_ += bytes;
  return true;
}

void Reservation::grow_waiting(std::uint64_t bytes) {
  if (budget_ != nullptr) bytes_ += budget_->reserve_waiting(bytes);
}

void Reservation::settle() {
  if (budget_ != nullptr && hold_ != MemoryBudget::Hold::kSettled) budget_->settle(bytes_, hold_);
  hold_ = MemoryBudget::Hold::kSettled;
}

void Reservation::shrink(std::uint64_t bytes) {
  bytes = std::min(bytes, bytes_);
  if (budget_ != nullptr) budget_->release(bytes, hold_);
  bytes_ -= bytes;
}

void Reservation::reset() {
  shrink(bytes_);
}

}  // namespace gb::pipeline
