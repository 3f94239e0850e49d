// The genesys-bulk binary, run as a user runs it, against the simulator
// started in-process on port 0.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "../integration/export_harness.hpp"
#include "child_process.hpp"
#include "export_cli.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CliTest : public ::testing::Test {
 protected:
  ChildResult run(const std::vector<std::string>& args, const std::vector<std::string>& env = kSimEnv) {
    Child child(args, env, (dir_.path() / "out.txt").string(), (dir_.path() / "err.txt").string());
    return child.wait();
  }
  std::vector<std::string> export_args(const simulator::Server& server, const std::string& type,
                                       const std::string& job_id) {
    return export_cli_args(server, type, job_id, sink_url(), dir_.path().string());
  }
  std::string db_path() const { return (dir_.path() / "out.db").string(); }
  std::string sink_url() const { return "sqlite:" + db_path(); }
  app::JobCheck check(const simulator::Server& server, const std::string& job_id) {
    auto landed = app::read_landed(db_path(), job_id);
    EXPECT_TRUE(landed.ok());
    return landed.ok() ? app::check_job(server, job_id, *landed) : app::JobCheck{};
  }

  TempDir dir_;
};

TEST_F(CliTest, ExportOfABulkUsersJobUnderFaultsLandsExactlyTheExpectedKeys) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 10000, 1000}};
  sim.faults.too_many_requests.count = 2;
  sim.faults.server_error.count = 2;
  sim.faults.reset_mid_body.count = 1;
  sim.faults.truncated_body.count = 1;
  sim.faults.malformed_record.count = 1;
  sim.faults.chunks_out_of_order = true;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  const auto r = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(job));
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, 10000u);
  EXPECT_THAT(r.err, Not(HasSubstr("sim-secret")));

  // `status` shows the job, its chunks, their states and counts.
  const auto s = run({"status", "--sink", sink_url()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("job " + job));
  EXPECT_THAT(s.out, HasSubstr("type bulk:users"));
  EXPECT_THAT(s.out, HasSubstr("state landed"));
  EXPECT_THAT(s.out, HasSubstr("chunks 10/10 landed, 0 failed"));
  EXPECT_THAT(s.out, HasSubstr("records 9999  quarantined 1"));
}

TEST_F(CliTest, StatusShowsTheCircuitBreakerThatOpenedAndClosedDuringAnExport) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 2000, 1000}};
  sim.faults.too_many_requests.count = 3;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:users", job);
  *std::find(args.begin(), args.end(), "warn") = "info";  // the breaker's changes are logged at info
  args.insert(args.end(), {"--breaker-threshold", "2", "--breaker-cooldown", "1"});
  const auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("circuit breaker open"));
  EXPECT_TRUE(check(*server, job).exact());

  const auto s = run({"status", "--sink", sink_url()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("api circuit breaker: closed (probe succeeded"));
}

int landed_chunks(const std::string& db_path) {
  sqlite3* db = nullptr;
  int n = 0;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM chunks WHERE state = 'landed'", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return n;
}

TEST_F(CliTest, KillNineInTheMiddleThenASecondRunLandsTheExactSetWithNoDuplicate) {
  auto server = start_simulator(slow_simulator());  // 30 chunks
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job);
  args.insert(args.end(), {"--concurrency", "2"});
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    // Wait (by state, not by time) until some chunks have landed, then kill it without warning.
    for (int i = 0; i < 600 && landed_chunks(db_path()) < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child.kill9();
    const auto r = child.wait();
    EXPECT_EQ(r.exit_code, -1);
  }
  const int landed_before = landed_chunks(db_path());
  EXPECT_GE(landed_before, 4);
  EXPECT_LT(landed_before, 30);

  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr(fmt::format("{} earlier", landed_before)));
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(landed_chunks(db_path()), 30);
}

// Whether process `pid` has a spill file open in `dir`: a file without a
// name there (O_TMPFILE, or unlinked), which only its descriptor shows.
bool has_open_spill_file(pid_t pid, const std::filesystem::path& dir) {
  std::error_code ec;
  const std::string prefix = std::filesystem::weakly_canonical(dir).string() + "/";
  for (const auto& fd : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), link_ec).string();
    if (!link_ec && target.rfind(prefix, 0) == 0 && target.ends_with(" (deleted)")) return true;
  }
  return false;
}

TEST_F(CliTest, KillNineDuringASpillLeavesNoFileBehindAndASecondRunLandsTheExactSet) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 3000, 1000}};
  sim.faults.huge_chunk_mb = 60;  // chunk 0
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:users", job);
  args.insert(args.end(), {"--spill-threshold-mb", "1"});  // every chunk goes through a spill file
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    // Wait (by state, not by time) until a spill file is open, then kill it without warning.
    bool spilling = false;
    for (int i = 0; i < 20000 && !spilling; ++i) {
      spilling = has_open_spill_file(child.pid(), dir_.path());
      if (!spilling) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(spilling);
    child.kill9();
    EXPECT_EQ(child.wait().exit_code, -1);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("spill")));
  }
  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 3000u);
}

TEST_F(CliTest, AJobEndingFailedExitsNonZeroWithOneClearLine) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 1000, 500}};
  sim.faults.job_failed.count = 1;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  const auto r = run(export_args(*server, "bulk:users", job));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("genesys-bulk: error: "));
  EXPECT_THAT(r.err, HasSubstr("job " + job + " ended failed"));
}

TEST_F(CliTest, BadInputGivesOneClearLineAndExitStatusTwo) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 100, 100}};
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;

  auto args = export_args(*server, "bulk:users", job);
  args[6] = "tickets";  // --type
  auto r = run(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("tickets"));

  args = export_args(*server, "bulk:users", job);
  args[10] = "mysql://db/x";  // --sink
  r = run(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unknown scheme \"mysql\""));
  EXPECT_THAT(r.err, HasSubstr("sqlite:PATH"));

  r = run(export_args(*server, "bulk:users", job), {"PATH=/usr/bin:/bin"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("GENESYS_CLIENT_ID"));

  r = run({"export", "--type", "conversations", "--api-url", server->base_url(), "--login-url", server->base_url(),
           "--sink", sink_url()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--interval"));

  r = run({"status", "--sink", "sqlite:" + (dir_.path() / "nothing-here.db").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no store at"));

  r = run({"export", "--concurrency", "lots"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--concurrency"));

  args = export_args(*server, "bulk:users", job);
  args.back() = (dir_.path() / "no-such-dir").string();  // --spill-dir
  r = run(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--spill-dir"));
  EXPECT_THAT(r.err, HasSubstr("no-such-dir"));
}

int error_lines(const std::string& err) {
  int n = 0;
  for (std::size_t at = err.find("genesys-bulk: error: "); at != std::string::npos;
       at = err.find("genesys-bulk: error: ", at + 1))
    ++n;
  return n;
}

TEST_F(CliTest, AServerAskingToWaitLongerThanMaxOutageEndsTheExportAtOnceWithOneLine) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 1000, 500}};
  sim.faults.outage_duration = std::chrono::seconds(3600);  // every request 503, Retry-After: the hour left
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:users", job);
  args.insert(args.end(), {"--max-outage", "60"});
  const auto r = run(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("genesys-bulk: error: transient: polling job " + job + ": the server asked to wait "));
  EXPECT_THAT(r.err, HasSubstr("left of --max-outage (HTTP 503: "));
  EXPECT_THAT(r.err, HasSubstr("run the same command again to resume"));
}

TEST_F(CliTest, EveryCallFailingForMaxOutageEndsTheExportWithOneLineSayingWhatAndHowLong) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 1000, 500}};
  sim.faults.server_error.probability = 1.0;  // every API request 502/503/504, no Retry-After
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:users", job);
  args.insert(args.end(), {"--max-outage", "1"});
  const auto r = run(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("polling job " + job + ": every API call has failed for "));
  EXPECT_THAT(r.err, HasSubstr("(--max-outage 1s); the last: HTTP 50"));
  EXPECT_THAT(r.err, HasSubstr("run the same command again to resume"));
}

TEST_F(CliTest, ExportHelpNamesThePatienceFlags) {
  const auto r = run({"export", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--max-outage"));
  EXPECT_THAT(r.out, HasSubstr("--max-job-wait"));
  EXPECT_THAT(r.out, HasSubstr("(the first after 1 s, then doubling)"));
}

TEST_F(CliTest, DemoLandsEveryExpectedRecordAndSaysSo) {
  const std::string db = (dir_.path() / "demo.db").string();
  const auto r = run({"demo", "--db", db, "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("expected records landed"));
  EXPECT_THAT(r.out, Not(HasSubstr("MISMATCH")));
  EXPECT_THAT(r.out, HasSubstr("sqlite3 " + db));
}

}  // namespace
}  // namespace gb::testing
