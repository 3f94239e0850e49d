// `genesys-bulk export --sink postgresql://...` as a user runs it, against the
// simulator (in-process, port 0) and a private PostgreSQL 15: the exact set,
// a rerun that changes nothing, kill -9 then a rerun, `status`, the server
// restarted mid-export, and two exports of one job racing into one database. What landed is read back
// with plain libpq (tests/integration/postgres_test_support.hpp) and checked
// against the simulator's expected keys.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../integration/export_harness.hpp"
#include "../integration/postgres_test_support.hpp"
#include "app/detail/verify.hpp"
#include "child_process.hpp"
#include "export_cli.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::PostgresServer::available()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    url_ = pgtest::fresh_database();
  }
  ChildResult run(const std::vector<std::string>& args) {
    Child child(args, kSimEnv, (dir_.path() / "out.txt").string(), (dir_.path() / "err.txt").string());
    return child.wait();
  }
  std::vector<std::string> export_args(const simulator::Server& server, const std::string& type,
                                       const std::string& job_id) {
    return export_cli_args(server, type, job_id, url_, dir_.path().string());
  }
  app::JobCheck check(const simulator::Server& server, const std::string& job_id) {
    pgtest::Reader r(url_);
    app::LandedSet landed;
    for (auto& row : r.rows("SELECT record_key FROM records WHERE job_id = '" + job_id + "'")) {
      landed.keys.push_back(row[0]);
    }
    landed.quarantined =
        static_cast<std::uint64_t>(r.count("SELECT count(*) FROM quarantine WHERE job_id = '" + job_id + "'"));
    return app::check_job(server, job_id, landed);
  }
  long landed_chunks() {
    try {
      return pgtest::Reader(url_).count("SELECT count(*) FROM chunks WHERE state = 'landed'");
    } catch (const std::exception&) {
      return 0;  // tables not created yet
    }
  }
  fixtures::TempDir dir_{"gb-pg-e2e"};
  std::string url_;
};

TEST_F(PostgresCliTest, ExportLandsTheExactSetARerunChangesNothingAndStatusShowsIt) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 6000, 1000}};
  sim.faults.server_error.count = 2;
  sim.faults.reset_mid_body.count = 1;
  sim.faults.malformed_record.count = 1;
  sim.faults.invalid_utf8.count = 1;
  sim.faults.nul_escape.count = 2;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  const auto r = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, 6000u);
  EXPECT_GE(c.quarantined, 3u) << c.summary();  // malformed, invalid UTF-8, and \u0000 which jsonb refuses

  pgtest::Reader reader(url_);
  const auto ledger_before = reader.rows("SELECT chunk_id, records, quarantined, updated_at FROM chunks ORDER BY 1");
  const auto second = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(reader.rows("SELECT chunk_id, records, quarantined, updated_at FROM chunks ORDER BY 1"), ledger_before);
  c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();

  const auto s = run({"status", "--sink", url_});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("job " + job));
  EXPECT_THAT(s.out, HasSubstr("chunks 6/6 landed, 0 failed"));
}

TEST_F(PostgresCliTest, KillNineInTheMiddleThenARerunLandsTheExactSet) {
  auto server = start_simulator(slow_simulator());  // 30 chunks
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job);
  args.insert(args.end(), {"--concurrency", "2"});
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && landed_chunks() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child.kill9();
    const auto r = child.wait();
    EXPECT_EQ(r.exit_code, -1) << r.err;
  }
  const long landed_before = landed_chunks();
  EXPECT_GE(landed_before, 4);
  EXPECT_LT(landed_before, 30);
  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(landed_chunks(), 30);
}

// The server restarted (fast shutdown, then up again on the same port) while
// an export lands: a chunk whose transaction the restart cut is failed in
// this run, never half there; the export says to run it again, and the rerun
// lands the exact set. (An export that landed everything it had in flight
// before or after the restart ends 0 at once: the pool reconnects.)
TEST_F(PostgresCliTest, TheServerRestartedMidExportCostsARetryNotARecord) {
  auto server = start_simulator(slow_simulator());  // 30 chunks
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job);
  args.insert(args.end(), {"--concurrency", "2"});
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && landed_chunks() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_GE(landed_chunks(), 4);
    pgtest::server().restart();
    const auto r = child.wait();
    if (r.exit_code != 0) {
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_THAT(r.err, HasSubstr("run the same command again"));
    }
  }
  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(landed_chunks(), 30);
}

TEST_F(PostgresCliTest, TwoExportsOfOneJobRacingLandEachRecordOnce) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 20000, 1000}};
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job);
  Child a(args, kSimEnv, (dir_.path() / "oa").string(), (dir_.path() / "ea").string());
  Child b(args, kSimEnv, (dir_.path() / "ob").string(), (dir_.path() / "eb").string());
  const auto ra = a.wait();
  const auto rb = b.wait();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  const auto c = check(*server, job);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 20000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(landed_chunks(), 20);
  EXPECT_THAT(ra.err + rb.err, Not(HasSubstr("duplicate key")));
}

}  // namespace
}  // namespace gb::testing
