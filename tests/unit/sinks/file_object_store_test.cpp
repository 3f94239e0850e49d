// FileObjectStore: an object is at its key whole or not at all, whatever
// happens to the writer (an error, an abandoned write, kill -9).
#include "sinks/files/file_object_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "object_test_support.hpp"
#include "testing/memory_state_store.hpp"
#include "testing/server_process.hpp"

namespace gb::sinks {
namespace {

using namespace gb::sinks::test;  // NOLINT: test helpers
using fixtures::MemoryStateStore;
using fixtures::TempDir;

std::unique_ptr<FileObjectStore> open_store(const fs::path& dir) {
  auto opened = FileObjectStore::open(dir.string());
  if (!opened) throw std::runtime_error(opened.error().describe());
  return std::move(opened).value();
}

Status put(ObjectStore& store, const std::string& key, const std::string& bytes) {
  auto w = store.begin_write(key);
  if (!w) return std::move(w).error();
  auto written = (*w)->write(bytes);
  if (!written) return written;
  return (*w)->commit();
}

std::string get(ObjectStore& store, const std::string& key) {
  std::string out;
  auto read = store.read(key, [&](std::string_view piece) {
    out.append(piece);
    return ok_status();
  });
  if (!read) throw std::runtime_error(read.error().describe());
  return out;
}

TEST(FileObjectStore, WritesReadsAndReplacesWholeObjects) {
  TempDir dir("gb-files");
  auto store = open_store(dir.path() / "new" / "sub");  // created
  ASSERT_TRUE(put(*store, "a/b/c.ndjson", "one\n").ok());
  EXPECT_EQ(read_file(dir.path() / "new/sub/a/b/c.ndjson"), "one\n");
  const std::string big(3'500'000, 'z');
  ASSERT_TRUE(put(*store, "a/b/c.ndjson", big).ok());
  EXPECT_EQ(get(*store, "a/b/c.ndjson"), big);
  EXPECT_EQ(store->describe("a/b/c.ndjson"), (dir.path() / "new/sub/a/b/c.ndjson").string());
  EXPECT_EQ(files_under(dir.path()), (std::vector<std::string>{"new/sub/a/b/c.ndjson"}));
}

TEST(FileObjectStore, NothingIsAtTheKeyBeforeCommitAndAnAbandonedWriteLeavesNothing) {
  TempDir dir("gb-files");
  auto store = open_store(dir.path());
  {
    auto w = store->begin_write("x/y.ndjson");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write("partial").ok());
    EXPECT_FALSE(fs::exists(dir.path() / "x/y.ndjson"));
    const auto during = files_under(dir.path());
    ASSERT_EQ(during.size(), 1U);
    EXPECT_EQ(during[0].rfind("x/.tmp-", 0), 0U) << during[0];
  }
  EXPECT_TRUE(files_under(dir.path()).empty());
  // An abandoned replacement leaves the old object as it was.
  ASSERT_TRUE(put(*store, "x/y.ndjson", "old").ok());
  {
    auto w = store->begin_write("x/y.ndjson");
    ASSERT_TRUE((*w)->write("new").ok());
  }
  EXPECT_EQ(get(*store, "x/y.ndjson"), "old");
}

TEST(FileObjectStore, KeysThatEscapeOrCollideWithTemporaryFilesAreRefused) {
  TempDir dir("gb-files");
  auto store = open_store(dir.path() / "store");
  for (const char* key : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", ".tmp-1-2", "a/.tmp-9-9"}) {
    auto w = store->begin_write(key);
    ASSERT_FALSE(w.ok()) << key;
    EXPECT_EQ(w.error().kind, ErrorKind::kInvalidInput) << key;
    auto r = store->read(key, [](std::string_view) { return ok_status(); });
    EXPECT_FALSE(r.ok()) << key;
  }
  EXPECT_TRUE(files_under(dir.path()).empty());
  auto missing = store->read("no/such.ndjson", [](std::string_view) { return ok_status(); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
}

TEST(FileObjectStore, OpenRefusesWhatIsNotAWritableDirectory) {
  TempDir dir("gb-files");
  std::ofstream(dir.path() / "file") << "x";
  auto on_file = FileObjectStore::open((dir.path() / "file").string());
  ASSERT_FALSE(on_file.ok());
  EXPECT_EQ(on_file.error().kind, ErrorKind::kInvalidInput);
  auto under_file = FileObjectStore::open((dir.path() / "file" / "sub").string());
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().kind, ErrorKind::kInvalidInput);
  EXPECT_FALSE(FileObjectStore::open("").ok());
}

TEST(FileObjectStore, OpenRemovesLeftoversOfDeadWritersOnly) {
  TempDir dir("gb-files");
  fs::create_directories(dir.path() / "a");
  // A pid that is surely gone: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const fs::path leftover = dir.path() / "a" / (".tmp-" + std::to_string(dead) + "-0");
  const fs::path live = dir.path() / "a" / (".tmp-" + std::to_string(::getpid()) + "-999999");
  std::ofstream(leftover) << "half";
  std::ofstream(live) << "in progress";
  auto store = open_store(dir.path());
  EXPECT_EQ(store->leftovers_removed(), 1);
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_TRUE(fs::exists(live));
}

// A chunk source that, once it has handed over `signal_after` batches, tells
// the parent (a byte on a pipe) and then blocks: the child is killed there,
// mid-write, with part of the object in its temporary file.
class StallingSource final : public BatchSource {
 public:
  StallingSource(std::vector<records::RecordBatch> batches, std::size_t signal_after, int fd)
      : batches_(std::move(batches)), signal_after_(signal_after), fd_(fd) {}
  Result<bool> next(records::RecordBatch& batch) override {
    batch.clear();
    if (next_ == signal_after_) {
      const char byte = 'x';
      if (::write(fd_, &byte, 1) != 1) ::_exit(3);
      for (;;) ::pause();
    }
    if (next_ >= batches_.size()) return false;
    batch = batches_[next_++];
    return true;
  }

 private:
  std::vector<records::RecordBatch> batches_;
  std::size_t signal_after_;
  std::size_t next_ = 0;
  int fd_;
};

ObjectLandingSettings plain_settings() {
  ObjectLandingSettings s;
  s.prefix = "out";
  s.key_field_of = [](const std::string&) { return records::KeyField::kId; };
  return s;
}

TEST(FileObjectStore, KillMinus9MidWriteLeavesNoPartialObjectAndTheRerunLandsTheExactSet) {
  TempDir dir("gb-files");
  const ChunkRef landed_first{"job-k", "c0", "users"};
  const ChunkRef killed{"job-k", "c1", "users"};
  auto first = make_batches("c0", 500);
  auto second = make_batches("c1", 6000, 500, 600);  // ~4 MB: several MB written before the kill
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto store = FileObjectStore::open(dir.path().string());
    if (!store) ::_exit(2);
    MemoryStateStore state;
    ObjectLanding landing(**store, state, plain_settings());
    VectorSource c0(first);
    if (!landing.land(landed_first, c0, 1, std::nullopt)) ::_exit(2);
    StallingSource c1(second, 10, pipe_fds[1]);
    (void)landing.land(killed, c1, 1, std::nullopt);
    ::_exit(4);
  }
  ::close(pipe_fds[1]);
  char byte = 0;
  ASSERT_EQ(::read(pipe_fds[0], &byte, 1), 1) << "the child did not reach the middle of its write";
  ::close(pipe_fds[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  // What the killed process left: c0 whole, and for c1 only a temporary file.
  const auto left = files_under(dir.path());
  ASSERT_EQ(left.size(), 2U);
  EXPECT_EQ(left[0].rfind("out/users/job-k/.tmp-" + std::to_string(child) + "-", 0), 0U) << left[0];
  EXPECT_GT(fs::file_size(dir.path() / left[0]), 1U << 20);
  EXPECT_EQ(left[1], "out/users/job-k/c0.ndjson");

  // The rerun (its ledger lost with the child: both chunks land again).
  auto store = open_store(dir.path());
  EXPECT_EQ(store->leftovers_removed(), 1);
  MemoryStateStore state;
  ObjectLanding landing(*store, state, plain_settings());
  for (const auto& [ref, batches] : {std::pair{landed_first, first}, std::pair{killed, second}}) {
    VectorSource source(batches);
    auto r = landing.land(ref, source, 2, std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  EXPECT_EQ(files_under(dir.path()),
            (std::vector<std::string>{"out/users/job-k/c0.ndjson", "out/users/job-k/c1.ndjson"}));
  EXPECT_EQ(read_file(dir.path() / "out/users/job-k/c1.ndjson"), expected_ndjson(second));
  auto keys = landing.read_landed_keys("job-k");
  ASSERT_TRUE(keys.ok());
  auto expected = keys_of("c0", 500);
  auto k1 = keys_of("c1", 6000);
  expected.insert(expected.end(), k1.begin(), k1.end());
  std::sort(expected.begin(), expected.end());
  std::sort(keys->keys.begin(), keys->keys.end());
  EXPECT_EQ(keys->keys, expected);
}

}  // namespace
}  // namespace gb::sinks
