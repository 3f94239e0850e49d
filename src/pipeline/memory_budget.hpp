#pragma once
// One byte budget for all chunk data a run holds in memory at once: parsed
// batches waiting for the writer, each download's working buffers, the page
// prefetch (docs/adr/0006-memory-budget.md).
//
// Bytes are "open" (a chunk still being downloaded), "admitted" (open, for a
// chunk whose download was let in because its announced size fitted) or
// "settled" (a complete chunk handed to the writer, which gives them back as
// it lands them without ever asking the budget for anything).
//
// Why it cannot deadlock: reserve_or_wait() waits only while settled bytes
// exist, and says no (the caller spills) when none do. admit() waits only
// while admitted or settled bytes exist: an admitted download never waits
// for an admission itself, and its own growth waits only on settled bytes or
// spills, so it finishes and its bytes settle. reserve_waiting() is only used
// by a caller that holds nothing else. So every wait ends.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>

namespace gb::pipeline {

// Thread-safe.
class MemoryBudget {
 public:
  // What reserved bytes are held for (see above).
  enum class Hold { kOpen, kAdmitted, kSettled };

  explicit MemoryBudget(std::uint64_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Takes `bytes` if they fit under the limit; never waits.
  bool try_reserve(std::uint64_t bytes);
  // Takes `bytes`, waiting for room while settled bytes are on their way
  // back; false (nothing taken) when they do not fit and none are. Among
  // waiters the smallest `ticket` (the oldest chunk) is served first, so
  // one chunk completes instead of several filling the budget.
  bool reserve_or_wait(std::uint64_t bytes, std::uint64_t ticket, Hold hold = Hold::kOpen);
  // Takes `bytes` for a whole chunk before its download starts, by a caller
  // that holds nothing: waits while they do not fit and admitted or settled
  // bytes on their way back would make room; false (nothing taken) when
  // they do not fit and waiting cannot help. Served in ticket order with
  // reserve_or_wait(). Admitting chunks whole keeps downloads from filling
  // the budget with partial chunks, which then have to spill.
  bool admit(std::uint64_t bytes, std::uint64_t ticket);
  // A new ticket for reserve_or_wait: increasing, so older holders first.
  std::uint64_t next_ticket();
  // Waits until `bytes` fit, then takes them. A request above the limit is
  // clamped to it. Returns what it took. Only for a caller that holds no
  // other reservation.
  std::uint64_t reserve_waiting(std::uint64_t bytes);
  // Marks `bytes` already taken (held as `from`) as settled.
  void settle(std::uint64_t bytes, Hold from = Hold::kOpen);
  // Gives back `bytes`, held as `hold`.
  void release(std::uint64_t bytes, Hold hold = Hold::kOpen);

  std::uint64_t limit() const { return limit_; }
  std::uint64_t used() const;
  // The most ever reserved at once.
  std::uint64_t high_water() const;
  // Callers waiting in reserve_or_wait() now.
  std::size_t waiters() const;

 private:
  void take_locked(std::uint64_t bytes, Hold hold);
  bool served_locked(std::uint64_t bytes, std::uint64_t ticket) const;

  const std::uint64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::uint64_t used_ = 0;
  std::uint64_t admitted_ = 0;
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

  // Takes `bytes` as MemoryBudget::admit does, on an empty reservation;
  // false = nothing taken. Later growth is admitted too.
  bool admit(std::uint64_t bytes);
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
  MemoryBudget::Hold hold_ = MemoryBudget::Hold::kOpen;
};

}  // namespace gb::pipeline
