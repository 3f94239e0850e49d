#pragma once
// Progress for humans: on a terminal, one line per job that fits its width,
// redrawn in place; otherwise (logs, CI) a plain line now and then.
// Informational only; nothing reads it back.
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.hpp"

namespace gb::pipeline {

// What the pipeline tells its observer. Thread-safe: called from download
// threads, the writer thread and the job's own thread.
class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  virtual void job_started(const std::string& job_id, const std::string& type) = 0;
  virtual void job_state(const std::string& state) = 0;  // as the API said it, while polling
  // The poller will ask for the job's state again in `next_poll`.
  virtual void job_waiting(Duration next_poll) { (void)next_poll; }
  // total = chunks, or 0 while not known yet (cursor pages); already = landed by an earlier run.
  virtual void chunks_known(std::uint64_t total, std::uint64_t already) = 0;
  virtual void chunk_landed(std::uint64_t records, std::uint64_t quarantined, std::uint64_t bytes) = 0;
  virtual void chunk_failed() = 0;
  virtual void job_finished(bool ok) = 0;
};

// Does nothing (tests, --no-progress).
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
  kBar,    // live lines redrawn in place (a terminal)
  kLines,  // a plain line per job every `line_interval` (not a terminal)
};

// Writes to `out` (normally stderr). In kBar style every job has one line,
// at most (terminal width - 1) columns, so nothing wraps; the lines of jobs
// still running are redrawn in place (cursor up, rewrite each row and clear
// the rest of it) at most every 100 ms
// and on every change of state, and a finished job's line stays where it is.
// While kBar lines are on screen, log lines are written above them (see
// log::set_line_writer). In kLines style a job prints a line when it starts,
// changes state and finishes, and at most every line_interval in between.
// Thread-safe (one mutex).
class ProgressPrinter {
 public:
  // width: the terminal's columns; 0 asks the terminal at every redraw
  // (TIOCGWINSZ on `out`, then $COLUMNS, then 80).
  ProgressPrinter(std::FILE* out, ProgressStyle style, const Clock& clock,
                  Duration line_interval = std::chrono::seconds(5), int width = 0);
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  // A line for one more job; the observer lives as long as the printer.
  ProgressObserver& new_job();

  // Redraws the running jobs' lines now (time waited, spinner): ProgressTicker calls it.
  void refresh();

  // Line `index` (0 = the first job) as it would be drawn at `width` columns
  // now (0: the plain kLines text, unlimited).
  std::string render(std::size_t index, int width) const;

  // Writes `line` and a newline above the live lines, which are redrawn below it.
  void write_above(std::string_view line);

 private:
  class JobLine;
  struct Job;

  std::string render_locked(std::size_t index, int width) const;
  int columns() const;
  void changed_locked(std::size_t index, bool force);
  void draw_locked();
  std::string erase_locked() const;

  std::FILE* out_;
  ProgressStyle style_;
  const Clock& clock_;
  Duration line_interval_;
  int width_;
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<Job>> jobs_;
  std::deque<std::unique_ptr<JobLine>> observers_;
  std::size_t settled_ = 0;  // jobs whose line is drawn for good (kBar)
  std::size_t drawn_ = 0;    // live lines on screen below them (kBar)
  SteadyTime last_draw_{};
  bool drawn_once_ = false;
  bool writing_logs_ = false;  // log lines come through write_above
};

// Calls printer.refresh() every `period` on its own thread until destroyed,
// so a waiting job's clock and a spinner move between events.
class ProgressTicker {
 public:
  ProgressTicker(ProgressPrinter& printer, Duration period);
  ~ProgressTicker();
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;

 private:
  ProgressPrinter& printer_;
  Duration period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// kBar when `out` is a terminal, else kLines.
ProgressStyle progress_style_for(std::FILE* out);

}  // namespace gb::pipeline
