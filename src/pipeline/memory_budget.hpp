#pragma once
// One byte budget for all chunk data a run holds in memory at once: parsed
// batches waiting for the writer, each download's working buffers, the page
// prefetch (docs/adr/0006-memory-budget.md).
//
// Why it cannot deadlock: bytes are either "open" (a chunk still being
// downloaded) or "settled" (a complete chunk handed to the writer, which
// gives them back as it lands them without ever asking the budget for
// anything). reserve_or_wait() waits only while settled bytes exist, and
// says no (the caller spills) when none do; reserve_waiting() is only used
// by a download that holds nothing else yet. So every wait ends: either the
// writer releases settled bytes, or an in-progress download, which never
// waits indefinitely, finishes and releases its own.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>

namespace gb::pipeline {

// Thread-safe.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::uint64_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `bytes` if they fit under the limit; never waits.
  bool try_reserve(std::uint64_t bytes);
  // Takes `bytes`, waiting for room while settled bytes are on their way
  // back; false (nothing taken) when they do not fit and none are. Among
  // waiters the smallest `ticket` (the oldest chunk) is served first, so
  // one chunk completes instead of several filling the budget.
  bool reserve_or_wait(std::uint64_t bytes, std::uint64_t ticket);
  // A new ticket for reserve_or_wait: increasing, so older holders first.
  std::uint64_t next_ticket();
  // Waits until `bytes` fit, then takes them. A request above the limit is
  // clamped to it. Returns what it took. Only for a caller that holds no
  // other reservation.
  std::uint64_t reserve_waiting(std::uint64_t bytes);
  // Marks `bytes` already taken as settled (see above).
  void settle(std::uint64_t bytes);
  // Gives back `bytes` (of which `settled` were settled).
  void release(std::uint64_t bytes, bool settled = false);

  std::uint64_t limit() const { return limit_; }
  std::uint64_t used() const;
  // The most ever reserved at once.
  std::uint64_t high_water() const;
  // Callers waiting in reserve_or_wait() now.
  std::size_t waiters() const;

 private:
  void take_locked(std::uint64_t bytes);

  const std::uint64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::uint64_t used_ = 0;
  std::uint64_t settled_ = 0;
  std::uint64_t high_water_ = 0;
  std::uint64_t tickets_ = 0;
  std::set<std::uint64_t> waiting_;  // tickets of reserve_or_wait callers
};

// Bytes held from a budget, given back on destruction. Move-only; a default
// (or moved-from) reservation holds nothing. Not thread-safe itself.
class Reservation {
 public:
  Reservation() = default;
  explicit Reservation(MemoryBudget& budget) : budget_(&budget), ticket_(budget.next_ticket()) {}
  ~Reservation() { reset(); }
  Reservation(Reservation&& other) noexcept;
  Reservation& operator=(Reservation&& other) noexcept;
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

  // Adds `bytes` as MemoryBudget::reserve_or_wait does; false = nothing taken.
  bool grow_or_wait(std::uint64_t bytes);
  // Adds `bytes`, waiting for room (MemoryBudget::reserve_waiting).
  void grow_waiting(std::uint64_t bytes);
  // Marks everything held as settled; the reservation must not grow after.
  void settle();
  // Gives back up to `bytes`.
  void shrink(std::uint64_t bytes);
  // Gives back everything.
  void reset();

  std::uint64_t bytes() const { return bytes_; }
  bool has_budget() const { return budget_ != nullptr; }

 private:
  MemoryBudget* budget_ = nullptr;
  std::uint64_t bytes_ = 0;
  std::uint64_t ticket_ = 0;
  bool settled_ = false;
};

}  // namespace gb::pipeline
