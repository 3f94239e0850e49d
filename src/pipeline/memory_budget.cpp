#include "pipeline/memory_budget.hpp"

#include <algorithm>
#include <utility>

namespace gb::pipeline {

void MemoryBudget::take_locked(std::uint64_t bytes) {
  used_ += bytes;
  high_water_ = std::max(high_water_, used_);
}

bool MemoryBudget::try_reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > limit_ - used_) return false;
  take_locked(bytes);
  return true;
}

bool MemoryBudget::reserve_or_wait(std::uint64_t bytes, std::uint64_t ticket) {
  std::unique_lock lock(mutex_);
  waiting_.insert(ticket);
  released_.wait(lock, [&] {
    const bool first = *waiting_.begin() == ticket;
    return (bytes <= limit_ - used_ && first) || settled_ == 0;
  });
  waiting_.erase(ticket);
  const bool fits = bytes <= limit_ - used_;
  if (fits) take_locked(bytes);
  lock.unlock();
  released_.notify_all();  // the next ticket in line may go now
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
  take_locked(bytes);
  return bytes;
}

void MemoryBudget::settle(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  settled_ += bytes;
}

void MemoryBudget::release(std::uint64_t bytes, bool settled) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mutex_);
    used_ -= std::min(bytes, used_);
    if (settled) settled_ -= std::min(bytes, settled_);
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
      settled_(std::exchange(other.settled_, false)) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    ticket_ = other.ticket_;
    settled_ = std::exchange(other.settled_, false);
  }
  return *this;
}

bool Reservation::grow_or_wait(std::uint64_t bytes) {
  if (budget_ == nullptr || !budget_->reserve_or_wait(bytes, ticket_)) return false;
  bytes_ += bytes;
  return true;
}

void Reservation::grow_waiting(std::uint64_t bytes) {
  if (budget_ != nullptr) bytes_ += budget_->reserve_waiting(bytes);
}

void Reservation::settle() {
  if (budget_ != nullptr && !settled_) budget_->settle(bytes_);
  settled_ = true;
}

void Reservation::shrink(std::uint64_t bytes) {
  bytes = std::min(bytes, bytes_);
  if (budget_ != nullptr) budget_->release(bytes, settled_);
  bytes_ -= bytes;
}

void Reservation::reset() {
  shrink(bytes_);
}

}  // namespace gb::pipeline
