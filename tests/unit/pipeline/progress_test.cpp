// The progress display as a person reads it: every line fits the terminal,
// a waiting job says what it waits for, an unknown total shows a spinner
// with counts, numbers and job ids are short, and lines redraw in place.
#include "pipeline/progress.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "pipeline/detail/progress_line.hpp"
#include "testing/fake_clock.hpp"

namespace gb::pipeline {
namespace {

using detail::LineView;
using Phase = detail::LineView::Phase;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr int kWidths[] = {40, 80, 140, 200};

LineView transferring() {
  LineView v;
  v.phase = Phase::kTransferring;
  v.type = "bulk:interactions";
  v.job_id = "5d3c1a7";
  v.total_known = true;
  v.total = 20;
  v.done = 12;
  v.records = 8'040;
  v.quarantined = 3;
  v.bytes = 12'300'000;
  v.bytes_per_second = 4'500'000;
  v.elapsed = 3s;
  return v;
}

LineView waiting() {
  LineView v;
  v.phase = Phase::kWaiting;
  v.type = "conversations";
  v.job_id = "9e01f4b";
  v.state = "QUEUED";
  v.waited = 12s;
  v.next_poll = 3800ms;
  v.unit = "pages";
  return v;
}

LineView paging() {
  LineView v = transferring();
  v.type = "users";
  v.unit = "pages";
  v.total_known = false;
  v.total = 0;
  v.done = 7;
  return v;
}

TEST(ProgressLineTest, EveryKindOfLineFitsEveryWidth) {
  std::vector<LineView> views = {transferring(), waiting(), paging()};
  LineView done = transferring();
  done.phase = Phase::kDone;
  done.done = 20;
  views.push_back(done);
  LineView incomplete = transferring();
  incomplete.phase = Phase::kIncomplete;
  incomplete.failed = 2;
  views.push_back(incomplete);
  for (const int width : kWidths) {
    for (const auto& v : views) {
      const std::string line = detail::render_line(v, width);
      EXPECT_LE(line.size(), static_cast<std::size_t>(width)) << line;
      EXPECT_THAT(line, HasSubstr(v.type.substr(0, 6))) << line;
      EXPECT_EQ(line.find('\n'), std::string::npos);
    }
  }
}

TEST(ProgressLineTest, AKnownTotalShowsABarAndCountsThatShortenWithTheWidth) {
  EXPECT_EQ(detail::render_line(transferring(), 140),
            "bulk:interactions 5d3c1a7 [##################............] 12/20 chunks 8.0k records "
            "(+3 quarantined) 12 MB 4.5 MB/s");
  EXPECT_EQ(detail::render_line(transferring(), 80),
            "bulk:interactions 5d3c1a7 [##########........] 12/20 8.0k rec +3q 12 MB 4.5 MB/s");
  // Too narrow for a bar: the counts stay, the rate and size go first.
  const std::string narrow = detail::render_line(transferring(), 40);
  EXPECT_THAT(narrow, Not(HasSubstr("[")));
  EXPECT_THAT(narrow, HasSubstr("12/20"));
  EXPECT_LE(narrow.size(), 40u);
}

TEST(ProgressLineTest, AnUnknownTotalShowsASpinnerWithCountsNeverABar) {
  for (const int width : kWidths) {
    const std::string line = detail::render_line(paging(), width);
    EXPECT_THAT(line, Not(HasSubstr("[")));
    EXPECT_THAT(line, Not(HasSubstr("0/0")));
    EXPECT_THAT(line, Not(HasSubstr("%")));
    EXPECT_THAT(line, HasSubstr("7"));
  }
  EXPECT_EQ(detail::render_line(paging(), 80), "users 5d3c1a7 - 7 pages 8.0k records (+3 quarantined) 12 MB 4.5 MB/s");
  LineView next = paging();
  next.spinner = 1;
  EXPECT_EQ(detail::render_line(next, 80).substr(0, 16), "users 5d3c1a7 \\ ");
}

TEST(ProgressLineTest, AWaitingJobSaysItsStateHowLongItWaitedAndWhenItAsksAgain) {
  EXPECT_EQ(detail::render_line(waiting(), 80), "conversations 9e01f4b QUEUED for 12s next poll in 4s");
  EXPECT_EQ(detail::render_line(waiting(), 40), "conversations 9e01f4b QUEUED 12s next 4s");
  LineView polling = waiting();
  polling.next_poll.reset();  // the status request is on its way
  EXPECT_EQ(detail::render_line(polling, 80), "conversations 9e01f4b QUEUED for 12s");
}

TEST(ProgressLineTest, AStateFromTheNetworkCannotMoveTheCursorOrWidenTheLine) {
  LineView v = waiting();
  v.state = "RUN\x1b[2J\nNING" + std::string(500, 'X');
  const std::string line = detail::render_line(v, 200);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr("RUN?[2J?NINGXXXX"));
  EXPECT_LT(line.size(), 80u);
}

TEST(ProgressLineTest, NumbersAreCompact) {
  EXPECT_EQ(detail::compact_count(0), "0");
  EXPECT_EQ(detail::compact_count(999), "999");
  EXPECT_EQ(detail::compact_count(1'000), "1.0k");
  EXPECT_EQ(detail::compact_count(1'234), "1.2k");
  EXPECT_EQ(detail::compact_count(9'960), "10k");
  EXPECT_EQ(detail::compact_count(123'456), "123k");
  EXPECT_EQ(detail::compact_count(999'600), "1.0M");
  EXPECT_EQ(detail::compact_count(12'345'678), "12M");
  EXPECT_EQ(detail::compact_count(18'446'744'073'709'551'615ull), "18E");
  EXPECT_EQ(detail::compact_bytes(512), "512 B");
  EXPECT_EQ(detail::compact_bytes(15'000), "15 kB");
  EXPECT_EQ(detail::compact_bytes(1'250'000), "1.2 MB");
  EXPECT_EQ(detail::compact_bytes(340e6), "340 MB");
  EXPECT_EQ(detail::compact_bytes(2.5e9), "2.5 GB");
  EXPECT_EQ(detail::short_duration(9s), "9s");
  EXPECT_EQ(detail::short_duration(184s), "3m04s");
  EXPECT_EQ(detail::short_duration(3720s), "1h02m");
}

TEST(ProgressLineTest, JobIdsAreShortenedAsGitShortensHashes) {
  using detail::shorten_ids;
  EXPECT_EQ(shorten_ids({"5d3c1a7e-0b1c-4c2d-9e8f-0123456789ab"}), std::vector<std::string>{"5d3c1a7"});
  // Sharing the first 9 characters: 10 tell them apart.
  EXPECT_EQ(shorten_ids({"5d3c1a7e-0aaa", "5d3c1a7e-0bbb", "77777777-cccc"}),
            (std::vector<std::string>{"5d3c1a7e-0a", "5d3c1a7e-0b", "7777777"}));
  EXPECT_EQ(shorten_ids({"J1", "J1"}), (std::vector<std::string>{"J1", "J1"}));
  EXPECT_EQ(shorten_ids({"abc", "abcdef0123"}), (std::vector<std::string>{"abc", "abcdef0"}));
}

// What a printer wrote, and the lines a terminal would show for it.
class PrinterOutput {
 public:
  PrinterOutput() { file_ = open_memstream(&buffer_, &size_); }
  ~PrinterOutput() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }
  // Replays the text on a screen of rows as a terminal does: "\r", "\n"
  // (to the start of the next row), ESC[nA (up n rows), ESC[K (clear the
  // rest of the row), ESC[J (clear below); other characters overwrite.
  std::vector<std::string> screen() {
    const std::string t = text();
    std::vector<std::string> rows(1);
    std::size_t row = 0;
    std::size_t col = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const char c = t[i];
      if (c == '\x1b') {
        std::size_t j = i + 2;
        int n = 0;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) n = n * 10 + (t[j++] - '0');
        if (t[j] == 'A') row -= std::min<std::size_t>(row, static_cast<std::size_t>(std::max(1, n)));
        if (t[j] == 'K') rows[row].resize(std::min(col, rows[row].size()));
        if (t[j] == 'J') rows.resize(row + 1), rows[row].resize(std::min(col, rows[row].size()));
        i = j;
      } else if (c == '\r') {
        col = 0;
      } else if (c == '\n') {
        col = 0;
        if (++row == rows.size()) rows.emplace_back();
      } else {
        if (rows[row].size() <= col) rows[row].resize(col + 1, ' ');
        rows[row][col++] = c;
      }
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
  }
  // Every row ever written, without its control sequences.
  std::vector<std::string> rows_written() {
    std::vector<std::string> out(1);
    const std::string t = text();
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\x1b') {
        while (i < t.size() && !std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
      } else if (t[i] == '\n') {
        out.emplace_back();
      } else if (t[i] != '\r') {
        out.back() += t[i];
      }
    }
    return out;
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_ = nullptr;
};

TEST(ProgressPrinterTest, JobsKeepOneLineEachRedrawnInPlaceAndNoLineIsAsWideAsTheTerminal) {
  FakeClock clock;
  PrinterOutput out;
  {
    ProgressPrinter p(out.file(), ProgressStyle::kBar, clock, 5s, 80);
    ProgressObserver& a = p.new_job();
    ProgressObserver& b = p.new_job();
    a.job_started("5d3c1a7e-0b1c-4c2d-9e8f-0123456789ab", "bulk:interactions");
    b.job_started("9e01f4b2-1111-2222-3333-444444444444", "conversations");
    b.job_state("QUEUED");
    for (int i = 0; i < 20; ++i) {
      clock.advance(150ms);
      if (i == 0) a.chunks_known(20, 0);
      a.chunk_landed(1000, 0, 1'500'000);
      b.job_waiting(2s);
      p.refresh();
    }
    a.job_finished(true);
    b.chunks_known(0, 0);
    b.chunk_landed(1000, 1, 500'000);
    b.job_finished(true);
  }
  const auto rows = out.screen();
  ASSERT_EQ(rows.size(), 2u) << out.text();
  EXPECT_THAT(rows[0], HasSubstr("bulk:interactions 5d3c1a7 done 20/20"));
  EXPECT_THAT(rows[1], HasSubstr("conversations 9e01f4b done 1 page 1.0k rec"));
  // Never "clear the screen": tmux would push every redraw into its scrollback.
  EXPECT_EQ(out.text().find("\x1b[J"), std::string::npos);
  // Every line ever drawn, not just the last ones, is narrower than 80 columns.
  for (const auto& row : out.rows_written()) EXPECT_LE(row.size(), 79u) << row;
}

TEST(ProgressPrinterTest, AWaitingJobsClockAndNextPollMoveOnEachRefresh) {
  FakeClock clock;
  PrinterOutput out;
  ProgressPrinter p(out.file(), ProgressStyle::kBar, clock, 5s, 80);
  ProgressObserver& job = p.new_job();
  job.job_started("9e01f4b2-1111", "users");
  EXPECT_EQ(p.render(0, 79), "users 9e01f4b starting");
  job.job_state("PENDING");
  job.job_waiting(4s);
  clock.advance(1200ms);
  EXPECT_EQ(p.render(0, 79), "users 9e01f4b PENDING for 1s next poll in 3s");
  clock.advance(2s);
  p.refresh();
  EXPECT_EQ(out.screen().back(), "users 9e01f4b PENDING for 3s next poll in 1s");
  job.job_finished(false);
}

TEST(ProgressPrinterTest, ALogLineGoesAboveTheLiveLinesInsteadOfThroughThem) {
  log::init(log::Format::kText, log::Level::kInfo);
  FakeClock clock;
  PrinterOutput out;
  {
    ProgressPrinter p(out.file(), ProgressStyle::kBar, clock, 5s, 80);
    ProgressObserver& job = p.new_job();
    job.job_started("J1", "bulk:users");
    job.chunks_known(4, 0);
    log::info("chunk landed").field("chunk_id", "c1").emit();
    job.chunk_landed(10, 0, 1000);
    job.job_finished(true);
  }
  log::init(log::Format::kText, log::Level::kWarn);
  const auto rows = out.screen();
  ASSERT_EQ(rows.size(), 2u) << out.text();
  EXPECT_THAT(rows[0], HasSubstr("info chunk landed chunk_id=c1"));
  EXPECT_THAT(rows[1], HasSubstr("bulk:users J1 done 1/4 chunks"));
}

TEST(ProgressPrinterTest, PlainLinesAreThrottledAndTheFinalStateIsAlwaysWritten) {
  FakeClock clock;
  PrinterOutput out;
  {
    ProgressPrinter p(out.file(), ProgressStyle::kLines, clock, 5s);
    ProgressObserver& job = p.new_job();
    job.job_started("J1", "bulk:users");
    job.chunks_known(4, 1);
    job.chunk_landed(1000, 2, 2'000'000);
    clock.advance(6s);
    job.chunk_landed(1000, 0, 2'000'000);
    job.job_finished(true);
  }
  const std::string text = out.text();
  // started, chunks known (forced), one after 6 s, final (forced); not one per chunk.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;
  EXPECT_THAT(text, HasSubstr("progress: bulk:users J1 done 3/4 chunks 2.0k records (+2 quarantined) 4.0 MB in 6.0s"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace gb::pipeline
