// The binary against a store it cannot write: a file it may not write, and a
// file another process holds locked. Both must fail with one clear line,
// lose nothing, and leave the export resumable.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "../integration/export_harness.hpp"
#include "child_process.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kNobody = 65534;

// Runs the binary as the unprivileged user `nobody`: the tests run as root,
// and root writes to a file whatever its mode says.
ChildResult run_as_nobody(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const std::string out_path = (dir / "nobody-out.txt").string();
  const std::string err_path = (dir / "nobody-err.txt").string();
  std::vector<char*> argv{const_cast<char*>(GB_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : kSimEnv) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(120);
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(121);
    ::execve(GB_BINARY, argv.data(), envp.data());
    ::_exit(122);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Child::slurp(out_path);
  r.err = Child::slurp(err_path);
  return r;
}

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class StoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = quick_simulator();
    sim.jobs = {{"bulk:users", 2000, 500}, {"bulk:users", 1500, 500}};
    auto server = simulator::Server::start(sim);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    ::chmod(dir_.path().c_str(), 0755);  // nobody may enter, not write
  }
  std::vector<std::string> export_args(const std::string& job_id) const {
    std::vector<std::string> args = {"export",
                                     "--api-url",
                                     server_->base_url(),
                                     "--login-url",
                                     server_->base_url(),
                                     "--type",
                                     "bulk:users",
                                     "--sink",
                                     "sqlite:" + db_path(),
                                     "--poll-interval",
                                     "1",
                                     "--no-progress",
                                     "--log-level",
                                     "error",
                                     "--spill-dir",
                                     dir_.path().string()};
    if (!job_id.empty()) {
      args.push_back("--job-id");
      args.push_back(job_id);
    }
    return args;
  }
  ChildResult run(const std::vector<std::string>& args) {
    Child child(args, kSimEnv, (dir_.path() / "out.txt").string(), (dir_.path() / "err.txt").string());
    return child.wait();
  }
  std::string db_path() const { return (dir_.path() / "out.db").string(); }
  app::JobCheck check(const std::string& job_id) {
    auto landed = app::read_landed(db_path(), job_id);
    EXPECT_TRUE(landed.ok());
    return landed.ok() ? app::check_job(*server_, job_id, *landed) : app::JobCheck{};
  }
  std::string job(std::size_t i) const { return server_->jobs().at(i).job_id; }

  TempDir dir_;
  std::unique_ptr<simulator::Server> server_;
};

TEST_F(StoreFailureTest, AStoreTheUserMayNotWriteIsRefusedAtStartAndNoJobIsCreated) {
  ASSERT_EQ(run(export_args(job(0))).exit_code, 0);
  ASSERT_EQ(::chmod(db_path().c_str(), 0444), 0);

  // Without --job-id the run would create a job: it must not, since it could not record it.
  const auto r = run_as_nobody(export_args(""), dir_.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("read-only"));
  EXPECT_THAT(r.err, HasSubstr(db_path()));
  EXPECT_EQ(lines_in(r.err), 1u) << r.err;
  EXPECT_THAT(server_->stats_json(), Not(HasSubstr("\"POST /api/v2/bulk/jobs/{jobType}\"")));
  // What had landed is still there, whole.
  EXPECT_TRUE(check(job(0)).exact());
}

TEST_F(StoreFailureTest, AStoreLockedByAnotherProcessFailsWithOneLineAndTheSameCommandLaterLandsEverything) {
  ASSERT_EQ(run(export_args(job(0))).exit_code, 0);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

  // The run waits out the store's busy timeout (10 s) first.
  const auto args = export_args(job(1));
  const auto locked = run(args);
  EXPECT_EQ(locked.exit_code, 1) << locked.err;
  EXPECT_THAT(locked.err, HasSubstr("locked by another process"));
  EXPECT_THAT(locked.err, HasSubstr("run the same command again"));
  EXPECT_EQ(lines_in(locked.err), 1u) << locked.err;

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  const auto again = run(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto c = check(job(1));
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 1500u);
  EXPECT_TRUE(check(job(0)).exact());
}

}  // namespace
}  // namespace gb::testing
