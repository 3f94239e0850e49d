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

// Cursor pages download one after another but land on as many writers as
// the store takes (2 here), so a kill can leave any set of pages landed:
// each page's ledger row keeps the cursor of the next, and a rerun resumes
// from whatever landed.
TEST_F(FileStoreTest, CursorPagesLandOnSeveralWritersAndARerunAfterKillNineLandsTheExactSet) {
  auto sim = quick_simulator();
  sim.jobs = {{"conversations", 20000, 1000}};
  sim.faults.slow.probability = 1.0;  // every call takes a while: time to kill it mid-way
  sim.faults.slow_delay = std::chrono::milliseconds(100);
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "conversations", job);
  args.insert(args.end(), {"--page-size", "500"});  // 40 pages
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && chunk_objects(store_dir(), job).size() < 6; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    child.kill9();
    EXPECT_EQ(child.wait().exit_code, -1);
  }
  const std::size_t before = chunk_objects(store_dir(), job).size();
  EXPECT_GE(before, 6U);
  EXPECT_LT(before, 40U);

  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = app::check_job(*server, job, read_back("conversations", job));
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed + c.quarantined, 20000U);
  EXPECT_EQ(c.duplicates, 0U);
  EXPECT_EQ(chunk_objects(store_dir(), job).size(), 40U);
  EXPECT_TRUE(temporary_files().empty());
}

TEST_F(FileStoreTest, KillNineMidExportThenARerunLandsTheExactSetAndLeavesNoTemporaryFile) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 30000, 1000}};  // 30 chunks
  sim.faults.slow.probability = 1.0;                // every call takes a while: time to kill it mid-way
  sim.faults.slow_delay = std::chrono::milliseconds(100);
  auto server = start_simulator(sim);
  const std::string job = server->jobs()[0].job_id;
  auto args = export_args(*server, "bulk:interactions", job);
  args.insert(args.end(), {"--concurrency", "2"});
  {
    Child child(args, kSimEnv, (dir_.path() / "o1").string(), (dir_.path() / "e1").string());
    for (int i = 0; i < 600 && chunk_objects(store_dir(), job).size() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 40 && !fs::exists(store_dir() / ".genesys-bulk-state.db") && chunk_objects(store_dir(), job).empty()) {
        const auto r = child.wait();
        FAIL() << "the export ended early: " << r.err;
      }
    }
    child.kill9();
    EXPECT_EQ(child.wait().exit_code, -1);
  }
  const std::size_t before = chunk_objects(store_dir(), job).size();
  EXPECT_GE(before, 4U);
  EXPECT_LT(before, 30U);

  const auto second = run(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto c = app::check_job(*server, job, read_back("bulk:interactions", job));
  EXPECT_TRUE(c.exact()) << c.summary();
  EXPECT_EQ(c.landed, 30000U);
  EXPECT_EQ(c.duplicates, 0U);
  EXPECT_TRUE(temporary_files().empty());
}

}  // namespace
}  // namespace gb::testing
