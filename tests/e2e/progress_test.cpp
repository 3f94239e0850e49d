// Progress and Ctrl-C the way a person meets them: `demo` in a real terminal
// (tmux, 80 columns) read back from the screen, and an export stopped with
// SIGINT in the middle, then run again.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "../integration/export_harness.hpp"
#include "../integration/ledger_check.hpp"
#include "child_process.hpp"
#include "export_cli.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs a shell command; its stdout, or nullopt when it failed.
std::optional<std::string> shell(const std::string& command) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
  return ::pclose(p) == 0 ? std::optional<std::string>(out) : std::nullopt;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// A tmux server of its own, on a private socket in `dir` (gone with it),
// killed at the end.
class Tmux {
 public:
  explicit Tmux(const std::filesystem::path& dir) : socket_((dir / "tmux.sock").string()) {}
  ~Tmux() { (void)shell(fmt::format("tmux -S {} kill-server 2>/dev/null", socket_)); }
  bool start(int columns, int rows, const std::string& command) {
    return shell(
               fmt::format("tmux -S {} -f /dev/null new-session -d -x {} -y {} '{}'", socket_, columns, rows, command))
        .has_value();
  }
  // The pane with its history; `join` joins lines the terminal wrapped.
  std::string capture(bool join) {
    return shell(fmt::format("tmux -S {} capture-pane -p {} -S - -E -", socket_, join ? "-J" : "")).value_or("");
  }

 private:
  std::string socket_;
};

bool starts_with_job_type(const std::string& row) {
  for (const char* type : {"bulk:users ", "bulk:interactions ", "users ", "conversations "}) {
    if (row.rfind(type, 0) == 0) return true;
  }
  return false;
}

TEST(ProgressE2eTest, DemoInTmuxAt80ColumnsShowsOneLinePerJobAndNoWrappedFragments) {
  ASSERT_TRUE(shell("command -v tmux >/dev/null").has_value()) << "tmux is needed (scripts/setup installs it)";
  TempDir dir;
  Tmux tmux(dir.path());
  // The demo's own text goes to a file: the progress lines start at the top
  // of the screen, where a redraw that cleared the screen would also push
  // every earlier frame into the scrollback (captured below with -S -).
  const std::string command = fmt::format("cd {} && {} demo --db demo.db > demo.out; echo demo exited $?; sleep 3600",
                                          dir.path().string(), GB_BINARY);
  ASSERT_TRUE(tmux.start(80, 30, command));
  std::string screen;
  // Waits for the demo to end (by what the screen says, not by time).
  for (int i = 0; i < 1200 && screen.find("demo exited") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    screen = tmux.capture(false);
  }
  ASSERT_THAT(screen, HasSubstr("demo exited 0")) << screen;
  // With wrapped lines joined (-J), each job's line is still one line that fits.
  std::vector<std::string> job_rows;
  for (const auto& row : split_lines(tmux.capture(true))) {
    if (!starts_with_job_type(row)) continue;
    EXPECT_LE(row.size(), 79u) << row;
    job_rows.push_back(row);
  }
  // As the screen shows it: no row holds a piece of a progress line (its rate)
  // without being a whole one; the demo's own text (summary, tips) may wrap.
  for (const auto& row : split_lines(screen)) {
    if (!starts_with_job_type(row)) {
      EXPECT_THAT(row, Not(HasSubstr("B/s"))) << screen;
    }
  }
  // Four jobs, one final line each, in the order they ran.
  ASSERT_EQ(job_rows.size(), 4u) << screen;
  EXPECT_THAT(job_rows[0], HasSubstr("bulk:users "));
  EXPECT_THAT(job_rows[1], HasSubstr("bulk:interactions "));
  EXPECT_THAT(job_rows[2], HasSubstr("users "));
  EXPECT_THAT(job_rows[3], HasSubstr("conversations "));
  for (const auto& row : job_rows) {
    EXPECT_THAT(row, HasSubstr(" done ")) << row;
    EXPECT_THAT(row, Not(HasSubstr("0/0"))) << row;
  }
  EXPECT_THAT(job_rows[0], HasSubstr("10/10"));
  EXPECT_THAT(job_rows[2], HasSubstr("3 pages"));
  EXPECT_THAT(Child::slurp((dir.path() / "demo.out").string()), HasSubstr("expected records landed"));
}

class InterruptE2eTest : public ::testing::Test {
 protected:
  std::vector<std::string> export_args(const simulator::Server& server, const std::string& job) {
    return {"export",
            "--api-url",
            server.base_url(),
            "--login-url",
            server.base_url(),
            "--type",
            "bulk:interactions",
            "--job-id",
            job,
            "--sink",
            "sqlite:" + db_path(),
            "--poll-interval",
            "1",
            "--concurrency",
            "2",
            "--log-level",
            "warn",
            "--no-progress",
            "--spill-dir",
            dir_.path().string()};
  }
  std::string db_path() const { return (dir_.path() / "out.db").string(); }
  ChildResult run(const std::vector<std::string>& args, const char* name) {
    Child child(args, kSimEnv, (dir_.path() / (name + std::string(".out"))).string(),
                (dir_.path() / (name + std::string(".err"))).string());
    return child.wait();
  }
  TempDir dir_;
};

TEST_F(InterruptE2eTest, CtrlCInTheMiddleExits130LandsNoPartialChunkAndTheSameCommandResumes) {
  auto server = start_simulator(slow_simulator());  // 30 chunks
  const std::string job = server->jobs()[0].job_id;
  const auto args = export_args(*server, job);
  ChildResult first;
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && check_ledger(db_path()).landed_chunks < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child.signal(SIGINT);
    first = child.wait();
  }
  EXPECT_EQ(first.exit_code, 130) << first.err;
  const LedgerCheck after = check_ledger(db_path());
  EXPECT_EQ(after.mismatched, 0);
  EXPECT_GE(after.landed_chunks, 4);
  EXPECT_LT(after.landed_chunks, 30);
  const std::string summary =
      fmt::format("genesys-bulk: interrupted: {} chunks landed in this run; run the same command again to resume\n",
                  after.landed_chunks);
  EXPECT_THAT(first.err, HasSubstr(summary));
  EXPECT_EQ(std::count(first.err.begin(), first.err.end(), '\n'), 1) << first.err;  // that one line

  const auto second = run(args, "second");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr(fmt::format("{} of 30 chunks landed now, {} earlier", 30 - after.landed_chunks,
                                                after.landed_chunks)));
  auto landed = app::read_landed(db_path(), job);
  ASSERT_TRUE(landed.ok());
  const auto c = app::check_job(*server, job, *landed);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(check_ledger(db_path()).landed_chunks, 30);
}

TEST_F(InterruptE2eTest, CtrlCWhileAJobIsQueuedEndsTheWaitAtOnceWithNothingLanded) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 1000, 1000}};
  sim.job_seconds = 3600;  // the job stays queued/processing for an hour
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, job);
  *(std::find(args.begin(), args.end(), "--poll-interval") + 1) = "3600";
  Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
  // The job's row shows the API's state once the first poll has answered: from then on it waits an hour.
  const auto polled = [&] {
    auto status = shell(fmt::format("sqlite3 {} \"SELECT state FROM jobs\" 2>/dev/null", db_path()));
    return status && !status->empty() && status->find("adopted") == std::string::npos;
  };
  for (int i = 0; i < 600 && !polled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(polled());
  child.signal(SIGINT);
  const auto r = child.wait();  // an uninterruptible wait would keep this test for an hour
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_THAT(r.err, HasSubstr("genesys-bulk: interrupted: 0 chunks landed in this run; run the same command again "
                               "to resume"));
  EXPECT_EQ(check_ledger(db_path()).landed_chunks, 0);
}

}  // namespace
}  // namespace gb::testing
