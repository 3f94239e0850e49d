#include "pipeline/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace gb::pipeline {
namespace {

constexpr auto kBarInterval = std::chrono::milliseconds(100);
constexpr int kBarWidth = 24;

}  // namespace

ProgressStyle progress_style_for(std::FILE* out) {
  return ::isatty(::fileno(out)) != 0 ? ProgressStyle::kBar : ProgressStyle::kLines;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, ProgressStyle style, const Clock& clock, Duration line_interval)
    : out_(out), style_(style), clock_(clock), line_interval_(line_interval) {}

void ProgressPrinter::job_started(const std::string& job_id, const std::string& type) {
  std::lock_guard lock(mutex_);
  job_id_ = job_id;
  type_ = type;
  state_.clear();
  chunks_total_ = chunks_done_ = chunks_failed_ = records_ = quarantined_ = bytes_ = 0;
  started_ = clock_.now();
  transferring_ = false;
  printed_once_ = false;
  maybe_print_locked(true);
}

void ProgressPrinter::job_state(const std::string& state) {
  std::lock_guard lock(mutex_);
  const bool changed = state != state_;
  state_ = state;
  maybe_print_locked(changed);
}

void ProgressPrinter::chunks_known(std::uint64_t total, std::uint64_t already) {
  std::lock_guard lock(mutex_);
  chunks_total_ = total;
  chunks_done_ = std::max(chunks_done_, already);
  if (!transferring_) {
    transferring_ = true;
    transfer_started_ = clock_.now();
  }
  maybe_print_locked(false);
}

void ProgressPrinter::chunk_landed(std::uint64_t records, std::uint64_t quarantined, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  ++chunks_done_;
  records_ += records;
  quarantined_ += quarantined;
  bytes_ += bytes;
  maybe_print_locked(false);
}

void ProgressPrinter::chunk_failed() {
  std::lock_guard lock(mutex_);
  ++chunks_failed_;
  maybe_print_locked(false);
}

void ProgressPrinter::job_finished(bool ok) {
  std::lock_guard lock(mutex_);
  state_ = ok ? "done" : "incomplete";
  maybe_print_locked(true);
  if (bar_open_) {
    std::fputc('\n', out_);
    bar_open_ = false;
  }
  std::fflush(out_);
}

std::string ProgressPrinter::render() const {
  std::lock_guard lock(mutex_);
  return render_locked();
}

std::string ProgressPrinter::render_locked() const {
  const double seconds = transferring_ ? std::chrono::duration<double>(clock_.now() - transfer_started_).count() : 0.0;
  const double mb_per_s = seconds > 0 ? static_cast<double>(bytes_) / 1e6 / seconds : 0.0;
  std::string text = fmt::format("{} {} [{}]", type_, job_id_, state_.empty() ? "starting" : state_);
  if (chunks_total_ > 0 && style_ == ProgressStyle::kBar) {
    const auto filled =
        static_cast<int>(kBarWidth * std::min<std::uint64_t>(chunks_done_, chunks_total_) / chunks_total_);
    text += fmt::format(" [{}{}]", std::string(filled, '#'), std::string(kBarWidth - filled, '.'));
  }
  text += fmt::format(" chunks {}/{}", chunks_done_, chunks_total_);
  if (chunks_failed_ > 0) text += fmt::format(" ({} failed)", chunks_failed_);
  text += fmt::format(" records {}", records_);
  if (quarantined_ > 0) text += fmt::format(" (+{} quarantined)", quarantined_);
  text += fmt::format(" {:.1f} MB {:.1f} MB/s", static_cast<double>(bytes_) / 1e6, mb_per_s);
  return text;
}

void ProgressPrinter::maybe_print_locked(bool force) {
  const SteadyTime now = clock_.now();
  const Duration interval = style_ == ProgressStyle::kBar ? Duration(kBarInterval) : line_interval_;
  if (!force && printed_once_ && now - last_print_ < interval) return;
  last_print_ = now;
  printed_once_ = true;
  const std::string text = render_locked();
  if (style_ == ProgressStyle::kBar) {
    // \x1b[K clears what a longer earlier line left behind.
    fmt::print(out_, "\r{}\x1b[K", text);
    bar_open_ = true;
  } else {
    fmt::print(out_, "progress: {}\n", text);
  }
  std::fflush(out_);
}

}  // namespace gb::pipeline
