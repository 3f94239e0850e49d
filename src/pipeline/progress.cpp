#include "pipeline/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <vector>

#include "base/log.hpp"
#include "pipeline/detail/progress_line.hpp"

namespace gb::pipeline {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr auto kSpinnerStep = std::chrono::milliseconds(250);
constexpr int kDefaultColumns = 80;

}  // namespace

// Everything one line shows, guarded by the printer's mutex.
struct ProgressPrinter::Job {
  std::string job_id;
  std::string type;
  std::string state;
  bool started = false;
  bool transferring = false;
  bool total_known = false;
  bool finished = false;
  bool ok = false;
  std::uint64_t total = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t bytes = 0;
  SteadyTime started_at{};
  SteadyTime transfer_started_at{};  // MB/s leaves the polling out
  SteadyTime finished_at{};
  std::optional<SteadyTime> next_poll_at;
  SteadyTime last_line_at{};  // kLines
};

class ProgressPrinter::JobLine final : public ProgressObserver {
 public:
  JobLine(ProgressPrinter& printer, std::size_t index) : printer_(printer), index_(index) {}

  void job_started(const std::string& job_id, const std::string& type) override {
    update(true, [&](Job& j, SteadyTime now) {
      j = Job{};
      j.job_id = job_id;
      j.type = type;
      j.started = true;
      j.started_at = now;
    });
  }
  void job_state(const std::string& state) override {
    bool changed = false;
    update_with(
        [&](Job& j, SteadyTime) {
          changed = state != j.state;
          j.state = state;
        },
        [&] { return changed; });
  }
  void job_waiting(Duration next_poll) override {
    update(false, [&](Job& j, SteadyTime now) { j.next_poll_at = now + next_poll; });
  }
  void chunks_known(std::uint64_t total, std::uint64_t already) override {
    update(true, [&](Job& j, SteadyTime now) {
      begin_transfer(j, now);
      j.total_known = total > 0;
      j.total = total;
      j.done = std::max(j.done, already);
    });
  }
  void chunk_landed(std::uint64_t records, std::uint64_t quarantined, std::uint64_t bytes) override {
    update(false, [&](Job& j, SteadyTime now) {
      begin_transfer(j, now);
      ++j.done;
      j.records += records;
      j.quarantined += quarantined;
      j.bytes += bytes;
    });
  }
  void chunk_failed() override {
    update(false, [&](Job& j, SteadyTime now) {
      begin_transfer(j, now);
      ++j.failed;
    });
  }
  void job_finished(bool ok) override {
    update(true, [&](Job& j, SteadyTime now) {
      j.finished = true;
      j.ok = ok;
      j.finished_at = now;
    });
  }

 private:
  static void begin_transfer(Job& j, SteadyTime now) {
    if (j.transferring) return;
    j.transferring = true;
    j.transfer_started_at = now;
    j.next_poll_at.reset();
  }
  template <class F>
  void update(bool force, F&& f) {
    update_with(std::forward<F>(f), [force] { return force; });
  }
  template <class F, class Force>
  void update_with(F&& f, Force&& force) {
    std::lock_guard lock(printer_.mutex_);
    f(*printer_.jobs_[index_], printer_.clock_.now());
    printer_.changed_locked(index_, force());
  }

  ProgressPrinter& printer_;
  std::size_t index_;
};

ProgressStyle progress_style_for(std::FILE* out) {
  return ::isatty(::fileno(out)) != 0 ? ProgressStyle::kBar : ProgressStyle::kLines;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, ProgressStyle style, const Clock& clock, Duration line_interval,
                                 int width)
    : out_(out), style_(style), clock_(clock), line_interval_(line_interval), width_(width) {}

ProgressPrinter::~ProgressPrinter() {
  if (writing_logs_) log::set_line_writer({});
  std::lock_guard lock(mutex_);
  // Whatever is still live stays on screen as it was last drawn.
  drawn_ = 0;
  std::fflush(out_);
}

ProgressObserver& ProgressPrinter::new_job() {
  bool first = false;
  ProgressObserver* observer = nullptr;
  {
    std::lock_guard lock(mutex_);
    first = jobs_.empty();
    jobs_.push_back(std::make_unique<Job>());
    observers_.push_back(std::make_unique<JobLine>(*this, jobs_.size() - 1));
    observer = observers_.back().get();
  }
  if (first && style_ == ProgressStyle::kBar) {
    // A log line written under a live line would leave half of it behind.
    log::set_line_writer([this](std::string_view line) { write_above(line); });
    writing_logs_ = true;
  }
  return *observer;
}

void ProgressPrinter::refresh() {
  std::lock_guard lock(mutex_);
  if (style_ != ProgressStyle::kBar || settled_ >= jobs_.size()) return;
  draw_locked();
}

std::string ProgressPrinter::render(std::size_t index, int width) const {
  std::lock_guard lock(mutex_);
  return render_locked(index, width);
}

void ProgressPrinter::write_above(std::string_view line) {
  std::lock_guard lock(mutex_);
  if (style_ != ProgressStyle::kBar) {
    fmt::print(out_, "{}\n", line);
    return;
  }
  std::string text = erase_locked();
  drawn_ = 0;
  text.append(line);
  text += "\x1b[K\n";
  std::fwrite(text.data(), 1, text.size(), out_);
  draw_locked();
}

int ProgressPrinter::columns() const {
  if (width_ > 0) return width_;
  winsize size{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    int n = 0;
    const std::string_view text(env);
    if (std::from_chars(text.data(), text.data() + text.size(), n).ec == std::errc{} && n > 0) return n;
  }
  return kDefaultColumns;
}

std::string ProgressPrinter::render_locked(std::size_t index, int width) const {
  using Phase = detail::LineView::Phase;
  const Job& j = *jobs_.at(index);
  const SteadyTime now = clock_.now();
  detail::LineView v;
  v.type = j.type;
  std::vector<std::string> ids;
  for (const auto& job : jobs_) ids.push_back(job->job_id);
  v.job_id = detail::shorten_ids(ids)[index];
  v.state = j.state;
  const bool paged = !j.type.starts_with("bulk:");
  v.unit = paged ? "pages" : "chunks";
  v.total_known = j.total_known;
  v.total = j.total;
  v.done = j.done;
  v.failed = j.failed;
  v.records = j.records;
  v.quarantined = j.quarantined;
  v.bytes = j.bytes;
  const SteadyTime end = j.finished ? j.finished_at : now;
  if (j.finished) {
    v.phase = j.ok ? Phase::kDone : Phase::kIncomplete;
  } else if (j.transferring) {
    v.phase = Phase::kTransferring;
  } else if (!j.state.empty()) {
    v.phase = Phase::kWaiting;
  } else {
    v.phase = Phase::kStarting;
  }
  v.waited = now - j.started_at;
  if (j.next_poll_at && *j.next_poll_at > now) v.next_poll = *j.next_poll_at - now;
  if (j.transferring) {
    v.elapsed = end - j.transfer_started_at;
    const double seconds = std::chrono::duration<double>(v.elapsed).count();
    v.bytes_per_second = seconds > 0 ? static_cast<double>(j.bytes) / seconds : 0.0;
    v.spinner = static_cast<unsigned>((now - j.transfer_started_at) / kSpinnerStep);
  }
  return detail::render_line(v, width);
}

void ProgressPrinter::changed_locked(std::size_t index, bool force) {
  const SteadyTime now = clock_.now();
  if (style_ == ProgressStyle::kLines) {
    Job& j = *jobs_[index];
    if (!force && now - j.last_line_at < line_interval_) return;
    j.last_line_at = now;
    fmt::print(out_, "progress: {}\n", render_locked(index, 0));
    std::fflush(out_);
    return;
  }
  if (!force && drawn_once_ && now - last_draw_ < kRedrawInterval) return;
  draw_locked();
}

std::string ProgressPrinter::erase_locked() const {
  // Back to the start of the first live line. What follows rewrites at least
  // as many rows as were live (lines never go away), each ending with "clear
  // to the end of the row". Not "clear the screen": tmux and others would
  // push a screen cleared from its top into the scrollback at every redraw.
  return drawn_ == 0 ? std::string() : fmt::format("\r\x1b[{}A", drawn_);
}

void ProgressPrinter::draw_locked() {
  last_draw_ = clock_.now();
  drawn_once_ = true;
  // Never as wide as the terminal: a full-width line may wrap on some terminals.
  const int width = std::max(1, columns() - 1);
  std::string text = erase_locked();
  // Finished lines above every running one are drawn for the last time.
  while (settled_ < jobs_.size() && jobs_[settled_]->finished) {
    text += render_locked(settled_++, width);
    text += "\x1b[K\n";
  }
  drawn_ = 0;
  for (std::size_t i = settled_; i < jobs_.size(); ++i) {
    if (!jobs_[i]->started) continue;
    text += render_locked(i, width);
    text += "\x1b[K\n";
    ++drawn_;
  }
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

ProgressTicker::ProgressTicker(ProgressPrinter& printer, Duration period)
    : printer_(printer), period_(period), thread_([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
          lock.unlock();
          printer_.refresh();
          lock.lock();
        }
      }) {}

ProgressTicker::~ProgressTicker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace gb::pipeline
