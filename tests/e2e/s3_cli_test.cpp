// `genesys-bulk export --sink s3://...` as a user runs it, against the
// simulator (in-process, port 0) and a private s3rver, the ledger in a
// SQLite --state file: the exact set read back with boto3
// (peers/s3_landed_keys.py) and checked against the simulator's expected
// keys, a rerun that changes no object, `status`, and kill -9 mid-export
// then a rerun. Skipped while the CLI does not open s3:// sinks (the
// composition root, app/store_url.cpp, wires them).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../integration/export_harness.hpp"
#include "app/detail/verify.hpp"
#include "child_process.hpp"
#include "export_cli.hpp"
#include "testing/s3_server.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "s3-e2e-secret/never+shown";

class S3CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::S3Server::available()) GTEST_SKIP() << "s3rver is not installed (run scripts/setup)";
    s3_ = std::make_unique<fixtures::S3Server>("gb-e2e");
  }
  std::vector<std::string> env() const {
    std::vector<std::string> e = kSimEnv;
    e.push_back(std::string("AWS_ACCESS_KEY_ID=") + fixtures::S3Server::kAccessKeyId);
    e.push_back(std::string("AWS_SECRET_ACCESS_KEY=") + kSecret);
    return e;
  }
  ChildResult run(const std::vector<std::string>& args) {
    Child child(args, env(), (dir_.path() / "out.txt").string(), (dir_.path() / "err.txt").string());
    return child.wait();
  }
  std::string sink_url(bool gzip = false) const {
    return "s3://gb-e2e/exports/daily?endpoint=" + s3_->endpoint() + "&region=us-east-1" + (gzip ? "&gzip=1" : "");
  }
  long landed_chunks() {
    sqlite3* db = nullptr;
    long n = 0;
    if (sqlite3_open_v2((dir_.path() / "state.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT count(*) FROM chunks WHERE state = 'landed'", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
  }
  std::string state_url() const { return "sqlite:" + (dir_.path() / "state.db").string(); }
  std::vector<std::string> export_args(const simulator::Server& server, const std::string& type,
                                       const std::string& job_id, bool gzip = false) {
    return export_cli_args(server, type, job_id, sink_url(gzip), dir_.path().string(), {"--state", state_url()});
  }

  struct ReadBack {
    std::map<std::string, std::string> objects;  // key -> sha256
    app::LandedSet landed;
    nlohmann::json manifest;
  };
  ReadBack read_back(const std::string& type, const std::string& job, const std::string& key_field) {
    fixtures::SpawnOptions o;
    o.argv = {"/usr/bin/python3",
              (std::filesystem::path(GB_SOURCE_DIR) / "tests/e2e/peers/s3_landed_keys.py").string(),
              s3_->endpoint(),
              s3_->bucket(),
              "exports/daily/" + type + "/" + job + "/",
              key_field};
    o.env = env();
    o.env.push_back("PYTHONDONTWRITEBYTECODE=1");
    o.env.push_back("HOME=" + dir_.path().string());
    const auto f = fixtures::run(o, dir_.path(), std::chrono::seconds(120));
    EXPECT_EQ(f.exit_code, 0) << f.output;
    ReadBack out;
    if (f.exit_code != 0) return out;
    const auto j = nlohmann::json::parse(f.output);
    for (const auto& [k, v] : j["objects"].items()) out.objects[k] = v.get<std::string>();
    for (const auto& k : j["keys"]) out.landed.keys.push_back(k.get<std::string>());
    out.landed.quarantined = j["quarantined"].get<std::uint64_t>();
    out.manifest = j["manifest"];
    return out;
  }

  fixtures::TempDir dir_{"gb-s3-e2e"};
  std::unique_ptr<fixtures::S3Server> s3_;
};

TEST_F(S3CliTest, ExportLandsTheExactSetARerunChangesNothingAndStatusShowsIt) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 6000, 1000}};
  sim.faults.server_error.count = 2;
  sim.faults.reset_mid_body.count = 1;
  sim.faults.malformed_record.count = 1;
  sim.faults.invalid_utf8.count = 1;
  sim.faults.nul_escape.count = 1;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  const auto r = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kSecret)));

  const ReadBack first = read_back("bulk:users", job, "id");
  const auto c = app::check_job(*server, job, first.landed);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, 6000u);
  EXPECT_GE(c.quarantined, 1u) << c.summary();  // the malformed record at least; exact() accounts for each
  EXPECT_GE(first.objects.size(), 7u);          // 6 chunks, the manifest, a quarantine object
  ASSERT_FALSE(first.manifest.is_null()) << "no _manifest.json";
  EXPECT_EQ(first.manifest.at("chunks").size(), 6u);

  const auto second = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const ReadBack again = read_back("bulk:users", job, "id");
  EXPECT_EQ(again.objects, first.objects);

  const auto s = run({"status", "--sink", sink_url(), "--state", state_url()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("job " + job));
  EXPECT_THAT(s.out, HasSubstr("chunks 6/6 landed, 0 failed"));
  EXPECT_THAT(s.out + s.err, Not(HasSubstr(kSecret)));
}

TEST_F(S3CliTest, KillNineMidExportThenARerunLandsTheExactSetGzipped) {
  auto server = start_simulator(slow_simulator());  // 30 chunks
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job, /*gzip=*/true);
  args.insert(args.end(), {"--concurrency", "2"});
  {
    Child child(args, env(), (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && landed_chunks() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 100 && landed_chunks() == 0) break;  // not wired: it exited at once
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
  const ReadBack back = read_back("bulk:interactions", job, "id");
  const auto c = app::check_job(*server, job, back.landed);
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(landed_chunks(), 30);
  for (const auto& [key, sha] : back.objects) {
    if (key.find("_manifest") == std::string::npos) {
      EXPECT_TRUE(key.ends_with(".ndjson.gz")) << key;
    }
  }
}

}  // namespace
}  // namespace gb::testing
