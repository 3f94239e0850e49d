// `genesys-bulk export --sink file:DIR` against the simulator, as a user runs
// it: what landed is read back from the directory itself (every NDJSON line
// parsed by nlohmann::json, every quarantine line counted), not through the
// store's own code. Skipped while the CLI does not open file: sinks.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../integration/export_harness.hpp"
#include "child_process.hpp"
#include "export_cli.hpp"
#include "simulator/data.hpp"

namespace gb::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string slurp_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  for (int rc = Z_OK; rc != Z_STREAM_END;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) throw std::runtime_error("inflate");
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return out;
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::string text = slurp_file(path);
  if (path.extension() == ".gz") text = gunzip(text);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_object(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.ends_with(".ndjson") || name.ends_with(".ndjson.gz");
}

// The chunk objects of `job` under `dir` (any prefix and type), by path.
std::vector<fs::path> chunk_objects(const fs::path& dir, const std::string& job) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& p = it->path();
    if (it->is_regular_file() && is_object(p) && p.parent_path().filename() == job) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every file under `dir` with its size and modification time.
std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> snapshot(const fs::path& dir) {
  std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = fs::relative(e.path(), dir).string();
    if (name.find(".genesys-bulk-state") != std::string::npos) continue;  // the ledger changes (job rows)
    out[name] = {e.file_size(), e.last_write_time()};
  }
  return out;
}

class FileStoreTest : public ::testing::Test {
 protected:
  ChildResult run(const std::vector<std::string>& args) {
    Child child(args, kSimEnv, (dir_.path() / "out.txt").string(), (dir_.path() / "err.txt").string());
    return child.wait();
  }
  fs::path store_dir() const { return dir_.path() / "lake"; }
  std::string sink_url() const { return "file:" + store_dir().string(); }
  std::vector<std::string> export_args(const simulator::Server& server, const std::string& type,
                                       const std::string& job_id) {
    return export_cli_args(server, type, job_id, sink_url(), dir_.path().string());
  }
  // Skips the test while the CLI answers that file: sinks are not built.

  // Reads the directory: each chunk object's lines are records (their key
  // from the type's key field), each quarantine object's lines are
  // quarantined records.
  app::LandedSet read_back(const std::string& type, const std::string& job) {
    std::string bulk_type;
    auto kind = simulator::parse_job_type(type, &bulk_type);
    EXPECT_TRUE(kind.ok());
    const std::string field(simulator::key_field(*kind));
    app::LandedSet landed;
    for (const auto& path : chunk_objects(store_dir(), job)) {
      for (const auto& line : lines_of(path)) landed.keys.push_back(nlohmann::json::parse(line).at(field));
      for (const auto* q : {".ndjson", ".ndjson.gz"}) {
        std::string name = path.filename().string();
        name = name.substr(0, name.find('.')) + q;
        const fs::path quarantine = path.parent_path() / "_quarantine" / name;
        if (fs::exists(quarantine)) landed.quarantined += lines_of(quarantine).size();
      }
    }
    return landed;
  }
  // Runs `args` and kills it -9 once `objects` of the job's objects have
  // landed (or after 30 s).
  void kill_nine_once_landed(const std::vector<std::string>& args, const std::string& job, std::size_t objects) {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && chunk_objects(store_dir(), job).size() < objects; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 40 && !fs::exists(store_dir() / ".genesys-bulk-state.db") && chunk_objects(store_dir(), job).empty()) {
        const auto r = child.wait();
        FAIL() << "the export ended early: " << r.err;
      }
    }
    child.kill9();
    EXPECT_EQ(child.wait().exit_code, -1);
  }
  std::vector<std::string> temporary_files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(store_dir())) {
      if (e.path().filename().string().starts_with(".tmp-")) out.push_back(e.path().string());
    }
    return out;
  }

  TempDir dir_;
};

TEST_F(FileStoreTest, ExportLandsTheExactSetARerunChangesNothingAndStatusWorks) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 6000, 1000}};
  sim.faults.reset_mid_body.count = 1;
  sim.faults.truncated_body.count = 1;
  sim.faults.malformed_record.count = 1;
  sim.faults.invalid_utf8.count = 1;
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  const auto r = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(chunk_objects(store_dir(), job).size(), 6U);
  const auto c = app::check_job(*server, job, read_back("bulk:users", job));
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, 6000U);
  EXPECT_EQ(c.quarantined, 2U);
  // The manifest, written last, lists the six chunks.
  bool manifest = false;
  for (const auto& e : fs::recursive_directory_iterator(store_dir())) {
    if (e.path().filename() != "_manifest.json" || e.path().parent_path().filename() != job) continue;
    manifest = true;
    const auto m = nlohmann::json::parse(slurp_file(e.path()));
    EXPECT_EQ(m.at("chunks").size(), 6U);
    EXPECT_EQ(m.at("records").get<std::uint64_t>() + m.at("quarantined").get<std::uint64_t>(), 6000U);
  }
  EXPECT_TRUE(manifest);

  const auto before = snapshot(store_dir());
  const auto again = run(export_args(*server, "bulk:users", job));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(snapshot(store_dir()), before);  // no object rewritten, none added

  const auto s = run({"status", "--sink", sink_url()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("job " + job));
  EXPECT_THAT(s.out, HasSubstr("chunks 6/6 landed, 0 failed"));
}

// A kill -9 in the middle, then a rerun: the exact set lands, each record
// once, and no temporary file is left. Chunks land two at a time here; so do
// cursor pages, which download one after another, so a kill can leave any
// set of pages landed: each page's ledger row keeps the next one's cursor,
// and the rerun resumes from whatever landed.
struct KillNineCase {
  std::string type;
  std::uint64_t records;
  std::vector<std::string> extra_args;
  std::size_t objects;  // chunks or pages
};

class FileStoreKillNineTest : public FileStoreTest, public ::testing::WithParamInterface<KillNineCase> {};

TEST_P(FileStoreKillNineTest, MidExportThenARerunLandsTheExactSetAndLeavesNoTemporaryFile) {
  const KillNineCase& k = GetParam();
  auto server = start_simulator(slow_simulator(k.type, k.records));
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, k.type, job);
  args.insert(args.end(), k.extra_args.begin(), k.extra_args.end());
  ASSERT_NO_FATAL_FAILURE(kill_nine_once_landed(args, job, 4));
  const std::size_t before = chunk_objects(store_dir(), job).size();
  EXPECT_GE(before, 4U);
  EXPECT_LT(before, k.objects);

  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = app::check_job(*server, job, read_back(k.type, job));
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, k.records);
  EXPECT_EQ(c.duplicates, 0U);
  EXPECT_EQ(chunk_objects(store_dir(), job).size(), k.objects);
  EXPECT_TRUE(temporary_files().empty());
}

INSTANTIATE_TEST_SUITE_P(ChunksAndPages, FileStoreKillNineTest,
                         ::testing::Values(KillNineCase{"bulk:interactions", 30000, {"--concurrency", "2"}, 30},
                                           KillNineCase{"conversations", 20000, {"--page-size", "500"}, 40}),
                         [](const auto& info) { return info.index == 0 ? "Chunks" : "CursorPages"; });

}  // namespace
}  // namespace gb::testing
