// ObjectLanding over FileObjectStore and the in-memory state store: what a
// user checks in the directory (the exact records, byte for byte, the
// quarantine, the manifest), read back through independent paths.
#include "sinks/object_landing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "object_test_support.hpp"
#include "sinks/files/file_object_store.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"
#include "testing/memory_state_store.hpp"
#include "testing/server_process.hpp"

namespace gb::sinks {
namespace {

using namespace gb::sinks::test;  // NOLINT: test helpers
using fixtures::MemoryStateStore;
using fixtures::TempDir;

ObjectLandingSettings settings(bool gzip = false, std::string prefix = "lake/exports") {
  ObjectLandingSettings s;
  s.prefix = std::move(prefix);
  s.gzip = gzip;
  s.key_field_of = [](const std::string&) { return records::KeyField::kId; };
  return s;
}

ChunkRef chunk(const std::string& id, const std::string& job = "job-1") {
  return ChunkRef{job, id, "users"};
}

struct Fixture {
  explicit Fixture(bool gzip = false) : dir("gb-objects") {
    auto opened = FileObjectStore::open(dir.path().string());
    if (!opened) throw std::runtime_error(opened.error().describe());
    files = std::move(opened).value();
    landing = std::make_unique<ObjectLanding>(*files, state, settings(gzip));
  }
  fs::path path_of(const ChunkRef& c) const { return dir.path() / landing->chunk_key(c); }

  TempDir dir;
  MemoryStateStore state;
  std::unique_ptr<FileObjectStore> files;
  std::unique_ptr<ObjectLanding> landing;
};

Result<LandResult> land(ObjectLanding& landing, const ChunkRef& c, std::vector<records::RecordBatch> batches) {
  VectorSource source(std::move(batches));
  return landing.land(c, source, 1, std::nullopt);
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ObjectLanding, KeyIsPrefixTypeJobChunk) {
  Fixture f;
  EXPECT_EQ(f.landing->chunk_key(chunk("c1")), "lake/exports/users/job-1/c1.ndjson");
  MemoryStateStore state;
  ObjectLanding gz(*f.files, state, settings(true, ""));
  EXPECT_EQ(gz.chunk_key(ChunkRef{"j", "000001", "bulk:users"}), "bulk:users/j/000001.ndjson.gz");
  EXPECT_EQ(f.landing->max_concurrent_landings(), f.files->max_concurrent_writes());
}

TEST(ObjectLanding, LandsTheExactRecordsInTheSourcesOrder) {
  Fixture f;
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "chunk-" + std::to_string(i);
    auto batches = make_batches(id, 250 + static_cast<std::size_t>(i));
    auto landed = land(*f.landing, chunk(id), batches);
    ASSERT_TRUE(landed.ok()) << landed.error().describe();
    EXPECT_FALSE(landed->already_landed);
    EXPECT_EQ(landed->records, 250U + static_cast<unsigned>(i));
    EXPECT_EQ(landed->quarantined, 0U);
    const std::string bytes = read_file(f.path_of(chunk(id)));
    EXPECT_EQ(bytes, expected_ndjson(batches));
    EXPECT_EQ(landed->bytes, bytes.size() - landed->records);  // raw bytes, without the newlines
    EXPECT_EQ(landed->checksum, sha256_hex(bytes));
    auto k = keys_of(id, 250 + static_cast<std::size_t>(i));
    expected.insert(expected.end(), k.begin(), k.end());
  }
  auto keys = f.landing->read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(sorted(keys->keys), sorted(expected));
  EXPECT_EQ(keys->quarantined, 0U);
  // Only the three objects: no temporary file, no quarantine object.
  EXPECT_EQ(files_under(f.dir.path()), (std::vector<std::string>{"lake/exports/users/job-1/chunk-0.ndjson",
                                                                 "lake/exports/users/job-1/chunk-1.ndjson",
                                                                 "lake/exports/users/job-1/chunk-2.ndjson"}));
  auto rows = f.state.status("job-1");
  ASSERT_EQ(rows->front().chunks.size(), 3U);
  for (const auto& row : rows->front().chunks) {
    EXPECT_EQ(row.state, "landed");
    EXPECT_EQ(row.checksum, sha256_hex(read_file(f.path_of(chunk(row.chunk_id)))));
  }
}

TEST(ObjectLanding, LandingAgainChangesNothingAndReadsNoSource) {
  Fixture f;
  auto batches = make_batches("c", 300);
  ASSERT_TRUE(land(*f.landing, chunk("c"), batches).ok());
  const fs::path path = f.path_of(chunk("c"));
  const std::string before = read_file(path);
  const long long mtime = mtime_ns(path);
  VectorSource again(batches);
  auto second = f.landing->land(chunk("c"), again, 2, std::nullopt);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->already_landed);
  EXPECT_EQ(again.calls, 0);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(mtime_ns(path), mtime);
  EXPECT_EQ(f.state.commits(), 1);
  EXPECT_EQ(f.state.status("job-1")->front().chunks[0].attempts, 1);
}

TEST(ObjectLanding, AFailedAttemptLeavesNothingAndTheRetryLandsTheSameBytes) {
  Fixture f;
  Fixture reference;
  auto batches = make_batches("c", 5000, 500, 400);  // ~2 MB: some bytes reach the file before the failure
  ASSERT_TRUE(land(*reference.landing, chunk("c"), batches).ok());

  VectorSource failing(batches);
  failing.fail_at = 7;
  auto failed = f.landing->land(chunk("c"), failing, 1, std::nullopt);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);  // the source's error, as it was
  EXPECT_TRUE(files_under(f.dir.path()).empty());         // no object, no temporary file
  EXPECT_FALSE(*f.state.is_landed(chunk("c")));

  auto retried = land(*f.landing, chunk("c"), batches);
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(read_file(f.path_of(chunk("c"))), read_file(reference.path_of(chunk("c"))));
  EXPECT_EQ(files_under(f.dir.path()), (std::vector<std::string>{"lake/exports/users/job-1/c.ndjson"}));
}

TEST(ObjectLanding, ALedgerFailureAfterTheObjectIsOverwrittenByTheRetry) {
  Fixture f(/*gzip=*/true);
  auto batches = make_batches("c", 400);
  f.state.fail_next_commits(1);
  auto failed = land(*f.landing, chunk("c"), batches);
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE(*f.state.is_landed(chunk("c")));
  const std::string first = read_file(f.path_of(chunk("c")));  // written, but not landed
  auto retried = land(*f.landing, chunk("c"), batches);
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->already_landed);
  EXPECT_EQ(read_file(f.path_of(chunk("c"))), first);  // byte for byte
  EXPECT_EQ(retried->checksum, sha256_hex(first));
  EXPECT_EQ(f.state.commits(), 1);
}

TEST(ObjectLanding, GzipIsTheSameBytesEveryTimeAndGunzipsToTheNdjson) {
  Fixture a(true);
  Fixture b(true);
  auto batches = make_batches("c", 3000, 250, 300);
  ASSERT_TRUE(land(*a.landing, chunk("c"), batches).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a timestamp in the header would differ
  ASSERT_TRUE(land(*b.landing, chunk("c"), batches).ok());
  const std::string gz = read_file(a.path_of(chunk("c")));
  EXPECT_EQ(gz, read_file(b.path_of(chunk("c"))));
  ASSERT_GT(gz.size(), 10U);
  EXPECT_EQ(gz.substr(0, 3), std::string("\x1f\x8b\x08", 3));
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // MTIME 0
  EXPECT_EQ(gunzip(gz), expected_ndjson(batches));
  auto keys = a.landing->read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(sorted(keys->keys), sorted(keys_of("c", 3000)));
}

TEST(ObjectLanding, QuarantinedRecordsGoBesideTheChunkAndANulEscapeStaysARecord) {
  Fixture f;
  records::RecordParser parser(records::KeyField::kId);
  records::RecordBatch batch;
  const std::string nul = R"({"id":"nul-1","text":"a\u0000b"})";
  const std::string bad_utf8 = "{\"id\":\"bad-1\",\"text\":\"\xff\xfe\"}";
  const std::string no_key = R"({"name":"x"})";
  parser.parse(R"({"id":"ok-1"})", 0, batch);
  parser.parse(nul, 1, batch);
  parser.parse(bad_utf8, 2, batch);
  parser.parse(no_key, 3, batch);
  ASSERT_EQ(batch.records.size(), 2U);
  ASSERT_EQ(batch.quarantined.size(), 2U);
  auto landed = land(*f.landing, chunk("q"), {batch});
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 2U);
  EXPECT_EQ(landed->quarantined, 2U);

  EXPECT_EQ(read_file(f.path_of(chunk("q"))), std::string(R"({"id":"ok-1"})") + "\n" + nul + "\n");
  const auto lines = split_lines(read_file(f.dir.path() / "lake/exports/users/job-1/_quarantine/q.ndjson"));
  ASSERT_EQ(lines.size(), 2U);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["ordinal"], 2);
  EXPECT_EQ(first["reason"].get<std::string>().rfind("invalid UTF-8", 0), 0U);
  EXPECT_EQ(base64_decode(first["raw_base64"].get<std::string>()), bad_utf8);
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["ordinal"], 3);
  EXPECT_EQ(base64_decode(second["raw_base64"].get<std::string>()), no_key);

  auto keys = f.landing->read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(sorted(keys->keys), (std::vector<std::string>{"nul-1", "ok-1"}));
  EXPECT_EQ(keys->quarantined, 2U);
}

// Bytes made on demand, never held whole; remembers the largest read asked.
class GeneratedLarge final : public records::LargeBytes {
 public:
  explicit GeneratedLarge(std::uint64_t size) : size_(size) {}
  std::uint64_t size() const override { return size_; }
  Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const override {
    largest_ask = std::max(largest_ask, n);
    // Short reads, as a file may give: at most 100 KB at a time.
    const std::size_t got = static_cast<std::size_t>(std::min<std::uint64_t>({n, size_ - offset, 100'000}));
    for (std::size_t i = 0; i < got; ++i) out[i] = byte_at(offset + i);
    return got;
  }
  static char byte_at(std::uint64_t i) { return static_cast<char>((i * 131 + 7) % 251); }
  mutable std::size_t largest_ask = 0;

 private:
  std::uint64_t size_;
};

TEST(ObjectLanding, ALargeQuarantinedRecordIsStreamedInPieces) {
  Fixture f;
  constexpr std::uint64_t kSize = 5'000'001;
  auto large = std::make_shared<GeneratedLarge>(kSize);
  records::RecordBatch batch = make_batches("c", 3).front();
  records::Quarantined q;
  q.ordinal = 3;
  q.reason = "record larger than 4194304 bytes";
  q.large = large;
  batch.quarantined.push_back(q);
  auto landed = land(*f.landing, chunk("c"), {batch});
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->quarantined, 1U);
  EXPECT_LE(large->largest_ask, std::size_t{1} << 20);  // pieces, not the whole record
  const auto lines = split_lines(read_file(f.dir.path() / "lake/exports/users/job-1/_quarantine/c.ndjson"));
  ASSERT_EQ(lines.size(), 1U);
  const auto line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["ordinal"], 3);
  EXPECT_EQ(line["reason"], q.reason);
  const std::string raw = base64_decode(line["raw_base64"].get<std::string>());
  ASSERT_EQ(raw.size(), kSize);
  for (std::uint64_t i = 0; i < kSize; ++i) {
    if (raw[i] != GeneratedLarge::byte_at(i)) FAIL() << "byte " << i << " differs";
  }
}

TEST(ObjectLanding, TheManifestListsEveryChunkDeterministically) {
  Fixture f(true);
  for (const char* id : {"b", "a"}) ASSERT_TRUE(land(*f.landing, chunk(id), make_batches(id, 120)).ok());
  JobInfo job{"job-1", "users", "FULFILLED", "", 2, ""};
  auto rows = f.state.status("job-1");
  ASSERT_TRUE(f.landing->finish_job(job, rows->front().chunks).ok());
  const fs::path path = f.dir.path() / "lake/exports/users/job-1/_manifest.json";
  const std::string first = read_file(path);
  const long long mtime = mtime_ns(path);
  ASSERT_TRUE(f.landing->finish_job(job, rows->front().chunks).ok());
  EXPECT_EQ(read_file(path), first);
  EXPECT_EQ(mtime_ns(path), mtime);  // the same manifest is not written again

  const auto m = nlohmann::json::parse(first);
  EXPECT_EQ(m["job_id"], "job-1");
  EXPECT_EQ(m["type"], "users");
  EXPECT_EQ(m["gzip"], true);
  EXPECT_EQ(m["records"], 240);
  ASSERT_EQ(m["chunks"].size(), 2U);
  const char* ids[] = {"a", "b"};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& c = m["chunks"][i];
    EXPECT_EQ(c["chunk_id"], ids[i]);
    const std::string key = c["key"];
    EXPECT_EQ(key, f.landing->chunk_key(chunk(ids[i])));
    EXPECT_EQ(c["records"], 120);
    EXPECT_EQ(c["quarantined"], 0);
    EXPECT_EQ(c["sha256"], sha256_hex(read_file(f.dir.path() / key)));
  }

  std::vector<ChunkStatus> with_failed = rows->front().chunks;
  with_failed[0].state = "failed";
  EXPECT_FALSE(f.landing->finish_job(job, with_failed).ok());
}

TEST(ObjectLanding, ConcurrentLandingsOfDifferentAndOfTheSameChunks) {
  Fixture f(true);
  constexpr int kChunks = 24;
  constexpr int kThreads = 6;
  std::vector<std::vector<records::RecordBatch>> data;
  std::vector<std::string> expected;
  for (int i = 0; i < kChunks; ++i) {
    const std::string id = "c" + std::to_string(i);
    data.push_back(make_batches(id, 200 + static_cast<std::size_t>(i) * 10));
    auto k = keys_of(id, 200 + static_cast<std::size_t>(i) * 10);
    expected.insert(expected.end(), k.begin(), k.end());
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  // Every chunk is landed by two threads (t and t+1 share it): one commits.
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kChunks; ++i) {
        if (i % kThreads != t && i % kThreads != (t + 1) % kThreads) continue;
        auto r = land(*f.landing, chunk("c" + std::to_string(i)), data[static_cast<std::size_t>(i)]);
        if (!r) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(f.state.commits(), kChunks);
  auto keys = f.landing->read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(sorted(keys->keys), sorted(expected));
  for (const auto& name : files_under(f.dir.path())) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
}

TEST(ObjectLanding, NamesThatWouldEscapeTheirPlaceAreRefused) {
  Fixture f;
  auto batches = make_batches("c", 1);
  for (const ChunkRef& bad :
       {ChunkRef{"job-1", "../c", "users"}, ChunkRef{"job-1", "c", "a/b"}, ChunkRef{"job-1", "c", ".."},
        ChunkRef{"..", "c", "users"}, ChunkRef{"job-1", ".tmp-1-2", "users"}, ChunkRef{"job-1", "c", "us ers"},
        ChunkRef{"job-1", "c", ""}}) {
    auto r = land(*f.landing, bad, batches);
    ASSERT_FALSE(r.ok()) << bad.job_id << " " << bad.chunk_id << " " << bad.type;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  }
  for (const char* prefix : {"/abs", "a//b", "a/../b", "a/", "a/\x01"}) {
    MemoryStateStore state;
    ObjectLanding landing(*f.files, state, settings(false, prefix));
    auto r = land(landing, chunk("c"), batches);
    ASSERT_FALSE(r.ok()) << prefix;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  }
  EXPECT_TRUE(files_under(f.dir.path()).empty());
}

TEST(ObjectLanding, ReadingBackATruncatedOrMissingObjectIsAnErrorNotFewerKeys) {
  Fixture f(true);
  ASSERT_TRUE(land(*f.landing, chunk("a"), make_batches("a", 2000, 250, 300)).ok());
  ASSERT_TRUE(land(*f.landing, chunk("b"), make_batches("b", 10)).ok());
  const fs::path a = f.path_of(chunk("a"));
  const std::string whole = read_file(a);
  fs::resize_file(a, whole.size() / 2);
  auto truncated = f.landing->read_landed_keys("job-1");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().kind, ErrorKind::kInternal);
  fs::remove(a);
  auto missing = f.landing->read_landed_keys("job-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(missing.error().message.find(a.string()), std::string::npos) << missing.error().message;
}

TEST(ObjectLanding, ReadLandedKeysOfAnUnknownJobIsEmpty) {
  Fixture f;
  auto keys = f.landing->read_landed_keys("nope");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->keys.empty());
  EXPECT_EQ(keys->quarantined, 0U);
}

}  // namespace
}  // namespace gb::sinks

namespace gb::sinks {
namespace {

// An ObjectStore in memory that records the order of commits and can fail
// the commit of one key.
class RecordingStore final : public ObjectStore {
 public:
  class Write final : public ObjectWrite {
   public:
    Write(RecordingStore& store, std::string key) : store_(store), key_(std::move(key)) {}
    Status write(std::string_view bytes) override {
      bytes_.append(bytes);
      return ok_status();
    }
    Status commit() override {
      std::lock_guard lock(store_.mutex);
      if (key_ == store_.fail_commit_of) return transient_error("503 Slow Down");
      store_.objects[key_] = bytes_;
      store_.commits.push_back(key_);
      return ok_status();
    }

   private:
    RecordingStore& store_;
    std::string key_;
    std::string bytes_;
  };
  Result<std::unique_ptr<ObjectWrite>> begin_write(const std::string& key) override {
    return std::unique_ptr<ObjectWrite>(std::make_unique<Write>(*this, key));
  }
  Status read(const std::string& key, const std::function<Status(std::string_view)>& consume) override {
    std::lock_guard lock(mutex);
    auto it = objects.find(key);
    if (it == objects.end()) return permanent_error("no object at " + key);
    return consume(it->second);
  }
  std::string describe(const std::string& key) const override { return "mem://" + key; }
  int max_concurrent_writes() const override { return 4; }
  std::uint64_t memory_per_write() const override { return 0; }

  std::mutex mutex;
  std::map<std::string, std::string> objects;
  std::vector<std::string> commits;
  std::string fail_commit_of;
};

records::RecordBatch batch_with_quarantine() {
  records::RecordParser parser(records::KeyField::kId);
  records::RecordBatch batch;
  parser.parse(R"({"id":"a"})", 0, batch);
  parser.parse("[1]", 1, batch);
  return batch;
}

TEST(ObjectLanding, TheQuarantineCommitsBeforeTheChunkAndTheLedgerRowLast) {
  RecordingStore store;
  MemoryStateStore state;
  ObjectLanding landing(store, state, settings(false, ""));
  store.fail_commit_of = "users/job-1/c.ndjson";
  auto failed = land(landing, chunk("c"), {batch_with_quarantine()});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);  // the store's error, as it was
  EXPECT_EQ(store.commits, (std::vector<std::string>{"users/job-1/_quarantine/c.ndjson"}));
  EXPECT_FALSE(*state.is_landed(chunk("c")));  // no row for objects not all there

  store.fail_commit_of.clear();
  auto landed = land(landing, chunk("c"), {batch_with_quarantine()});
  ASSERT_TRUE(landed.ok());
  EXPECT_EQ(store.commits, (std::vector<std::string>{"users/job-1/_quarantine/c.ndjson",
                                                     "users/job-1/_quarantine/c.ndjson", "users/job-1/c.ndjson"}));
  EXPECT_TRUE(*state.is_landed(chunk("c")));
  EXPECT_EQ(landing.max_concurrent_landings(), 4);
  auto keys = landing.read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys, (std::vector<std::string>{"a"}));
  EXPECT_EQ(keys->quarantined, 1U);
}

TEST(ObjectLanding, AnotherLandingThatCommittedFirstMakesThisOneAlreadyLanded) {
  RecordingStore store;
  MemoryStateStore state;
  ObjectLanding landing(store, state, settings());
  // The other landing commits its row while this one writes its object.
  VectorSource source(make_batches("c", 10));
  source.before = [&](std::size_t i) {
    if (i == 0) (void)state.commit_landed(chunk("c"), LandResult{}, 1, std::nullopt);
  };
  auto r = landing.land(chunk("c"), source, 1, std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->already_landed);
  EXPECT_EQ(state.commits(), 1);
}

}  // namespace
}  // namespace gb::sinks

namespace gb::sinks {
namespace {

// The same landing with its ledger in a real SQLite file, as `--sink
// file:DIR` keeps it by default: the row (with the object's checksum)
// survives the process, so a second landing after a reopen skips the chunk.
TEST(ObjectLanding, WithASqliteLedgerTheRowAndChecksumSurviveAReopen) {
  TempDir dir("gb-objects");
  auto files = FileObjectStore::open((dir.path() / "lake").string());
  ASSERT_TRUE(files.ok());
  SqliteSettings sqlite;
  sqlite.path = (dir.path() / "lake" / ".genesys-bulk-state.db").string();
  auto batches = make_batches("c", 700);
  {
    auto state = SqliteSink::open(sqlite);
    ASSERT_TRUE(state.ok()) << state.error().describe();
    ASSERT_TRUE((*state)->upsert_job(JobInfo{"job-1", "users", "FULFILLED", "", 1, ""}).ok());
    ObjectLanding landing(**files, **state, settings(true));
    auto landed = land(landing, chunk("c"), batches);
    ASSERT_TRUE(landed.ok()) << landed.error().describe();
    EXPECT_FALSE(landed->already_landed);
  }
  auto state = SqliteSink::open(sqlite);
  ASSERT_TRUE(state.ok());
  ObjectLanding landing(**files, **state, settings(true));
  const fs::path path = dir.path() / "lake" / landing.chunk_key(chunk("c"));
  const long long mtime = mtime_ns(path);
  VectorSource again(batches);
  auto second = landing.land(chunk("c"), again, 2, std::nullopt);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->already_landed);
  EXPECT_EQ(again.calls, 0);
  EXPECT_EQ(mtime_ns(path), mtime);
  auto rows = (*state)->status("job-1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->front().chunks.size(), 1U);
  EXPECT_EQ(rows->front().chunks[0].checksum, sha256_hex(read_file(path)));
  EXPECT_EQ(rows->front().chunks[0].records, 700U);
  auto keys = landing.read_landed_keys("job-1");
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  EXPECT_EQ(sorted(keys->keys), sorted(keys_of("c", 700)));
  ASSERT_TRUE(landing.finish_job(rows->front().job, rows->front().chunks).ok());
  EXPECT_TRUE(fs::exists(dir.path() / "lake/lake/exports/users/job-1/_manifest.json"));
}

}  // namespace
}  // namespace gb::sinks
