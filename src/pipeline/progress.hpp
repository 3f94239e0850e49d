#pragma once
// Progress for humans: a live bar per job on a terminal, plain periodic lines
// otherwise (logs, CI). Informational only; nothing reads it back.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/clock.hpp"

namespace gb::pipeline {

// What the pipeline tells its observer. Thread-safe: called from download
// threads, the writer thread and the job's own thread.
class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  virtual void job_started(const std::string& job_id, const std::string& type) = 0;
  virtual void job_state(const std::string& state) = 0;  // as the API said it, while polling
  // total = chunks (or pages so far), already = landed by an earlier run.
  virtual void chunks_known(std::uint64_t total, std::uint64_t already) = 0;
  virtual void chunk_landed(std::uint64_t records, std::uint64_t quarantined, std::uint64_t bytes) = 0;
  virtual void chunk_failed() = 0;
  virtual void job_finished(bool ok) = 0;
};

// Does nothing (tests, --quiet).
class NullProgress final : public ProgressObserver {
 public:
  void job_started(const std::string&, const std::string&) override {}
  void job_state(const std::string&) override {}
  void chunks_known(std::uint64_t, std::uint64_t) override {}
  void chunk_landed(std::uint64_t, std::uint64_t, std::uint64_t) override {}
  void chunk_failed() override {}
  void job_finished(bool) override {}
};

enum class ProgressStyle {
  kBar,    // one line redrawn in place with \r (a terminal)
  kLines,  // a plain line every `line_interval` (not a terminal)
};

// Writes to `out` (normally stderr), throttled by `clock`: the bar at most
// every 100 ms, lines every line_interval; the final state is always written
// by job_finished(). Thread-safe (one mutex).
class ProgressPrinter final : public ProgressObserver {
 public:
  ProgressPrinter(std::FILE* out, ProgressStyle style, const Clock& clock,
                  Duration line_interval = std::chrono::seconds(5));

  void job_started(const std::string& job_id, const std::string& type) override;
  void job_state(const std::string& state) override;
  void chunks_known(std::uint64_t total, std::uint64_t already) override;
  void chunk_landed(std::uint64_t records, std::uint64_t quarantined, std::uint64_t bytes) override;
  void chunk_failed() override;
  void job_finished(bool ok) override;

  // The text of the current state, without line ending (for tests and lines).
  std::string render() const;

 private:
  std::string render_locked() const;
  void maybe_print_locked(bool force);

  std::FILE* out_;
  ProgressStyle style_;
  const Clock& clock_;
  Duration line_interval_;
  mutable std::mutex mutex_;
  std::string job_id_;
  std::string type_;
  std::string state_;
  std::uint64_t chunks_total_ = 0;
  std::uint64_t chunks_done_ = 0;
  std::uint64_t chunks_failed_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t quarantined_ = 0;
  std::uint64_t bytes_ = 0;
  SteadyTime started_{};
  SteadyTime transfer_started_{};  // when chunks became known: MB/s leaves the polling out
  bool transferring_ = false;
  SteadyTime last_print_{};
  bool printed_once_ = false;
  bool bar_open_ = false;  // a bar line is on screen without its newline
};

// kBar when `out` is a terminal, else kLines.
ProgressStyle progress_style_for(std::FILE* out);

}  // namespace gb::pipeline
