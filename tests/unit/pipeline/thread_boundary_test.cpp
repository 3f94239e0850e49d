// No exception leaves a download thread or the landing writer: what a thread
// throws (std::bad_alloc, a library's exception) fails that chunk with its
// reason, the other chunks land, and the next run retries the failed one.
// A scripted JobsApi serves bodies (the simulator cannot make us throw) into
// a real SQLite store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>

#include "../../integration/export_harness.hpp"
#include "pipeline/pipeline.hpp"
#include "testing/fake_clock.hpp"

namespace gb::pipeline {
namespace {

using ::testing::HasSubstr;

// A bulk job of three chunks, two users each; `throws_on` names a chunk whose
// download throws what `thrower` throws, once (the next run succeeds).
class ThrowingApi final : public api::JobsApi {
 public:
  std::string throws_on;
  std::function<void()> thrower;

  Result<std::string> create_job(const api::ExportType&, const std::string&, const CallLimits&) override {
    return std::string("job-t");
  }
  Result<api::JobSnapshot> get_job(const api::ExportType&, const std::string&, const CallLimits&) override {
    api::JobSnapshot s;
    s.state = "FULFILLED";
    s.phase = api::JobPhase::kSucceeded;
    for (const char* id : {"c1", "c2", "c3"}) s.chunks.push_back({id, std::string("http://sim/") + id, 0});
    return s;
  }
  Status download_chunk(const api::ChunkInfo& chunk, const http::BodySink& sink, const CallLimits&) override {
    if (chunk.chunk_id == throws_on && thrower) {
      auto t = std::move(thrower);
      thrower = nullptr;
      t();
    }
    const std::string body = R"([{"id":")" + chunk.chunk_id + R"(-a"},{"id":")" + chunk.chunk_id + R"(-b"}])";
    return sink(body);
  }
  Result<api::Page> fetch_page(const api::ExportType&, const std::string&, const std::string&, int,
                               const CallLimits&) override {
    return permanent_error("bulk jobs have no pages");
  }
};

// The real store's landing, except that landing `throws_on` throws std::bad_alloc once.
class ThrowingLanding final : public sinks::Landing {
 public:
  explicit ThrowingLanding(sinks::Landing& real) : real_(real) {}
  std::string throws_on;

  Result<sinks::LandResult> land(const sinks::ChunkRef& chunk, sinks::BatchSource& source, int attempts,
                                 const std::optional<std::string>& next_cursor) override {
    if (chunk.chunk_id == throws_on) {
      throws_on.clear();
      throw std::bad_alloc();
    }
    return real_.land(chunk, source, attempts, next_cursor);
  }
  std::uint64_t memory_bytes() const override { return real_.memory_bytes(); }
  Result<sinks::LandedKeys> read_landed_keys(const std::string& job_id) override {
    return real_.read_landed_keys(job_id);
  }

 private:
  sinks::Landing& real_;
};

class ThreadBoundaryTest : public ::testing::Test {
 protected:
  ThreadBoundaryTest() { settings_.concurrency = 3; }
  static app::Store open_store(const std::string& path) {
    auto store = app::open_store("sqlite:" + path, "");
    if (!store.ok()) throw std::runtime_error(store.error().describe());
    return std::move(*store);
  }
  std::string db_path() const { return (dir_.path() / "threads.db").string(); }
  Result<ExportOutcome> run() {
    ExportPipeline p(settings_, api_, *store_.state, throwing_landing_, patience_, clock_, clock_, progress_);
    ExportRequest r;
    r.type = *api::ExportType::parse("bulk:users");
    r.query_json = "{}";
    return p.run(r);
  }
  std::multiset<std::string> landed_keys() const {
    auto landed = app::read_landed(db_path(), "job-t");
    if (!landed.ok()) throw std::runtime_error(landed.error().describe());
    return {landed->keys.begin(), landed->keys.end()};
  }

  gb::testing::TempDir dir_;
  app::Store store_ = open_store(db_path());
  ThrowingLanding throwing_landing_{*store_.landing};
  FakeClock clock_;
  resilience::Patience patience_{std::chrono::minutes(5), clock_};
  NullProgress progress_;
  PipelineSettings settings_;
  ThrowingApi api_;
};

TEST_F(ThreadBoundaryTest, BadAllocInADownloadFailsThatChunkOnlyAndTheNextRunLandsIt) {
  api_.throws_on = "c2";
  api_.thrower = [] { throw std::bad_alloc(); };
  auto first = run();
  ASSERT_FALSE(first.ok());
  EXPECT_THAT(first.error().message, HasSubstr("1 of 3 chunks could not be landed"));
  EXPECT_THAT(first.error().message, HasSubstr("chunk c2: download failed: out of memory"));
  EXPECT_THAT(first.error().message, HasSubstr("run the same command again"));
  EXPECT_EQ(landed_keys(), (std::multiset<std::string>{"c1-a", "c1-b", "c3-a", "c3-b"}));

  auto second = run();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->chunks_skipped, 2u);
  EXPECT_EQ(second->chunks_landed, 1u);
  EXPECT_EQ(second->chunks_failed, 0u);
  EXPECT_EQ(landed_keys(), (std::multiset<std::string>{"c1-a", "c1-b", "c2-a", "c2-b", "c3-a", "c3-b"}));
}

TEST_F(ThreadBoundaryTest, AnExceptionThrownInsideTheBodySinkIsAFailedChunkWithItsReason) {
  // Thrown while curl would be calling back: the transport turns it into an
  // error (see CurlTransportTest); a JobsApi that lets it escape is caught at
  // the thread boundary instead.
  api_.throws_on = "c1";
  api_.thrower = [] { throw std::length_error("vector too long"); };
  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("chunk c1: download failed: unexpected exception: vector too long"));
  EXPECT_EQ(landed_keys(), (std::multiset<std::string>{"c2-a", "c2-b", "c3-a", "c3-b"}));
}

TEST_F(ThreadBoundaryTest, AStoreThatThrowsFailsThatChunkAndTheWriterLandsTheOthers) {
  throwing_landing_.throws_on = "c2";
  auto first = run();
  ASSERT_FALSE(first.ok());
  EXPECT_THAT(first.error().message, HasSubstr("1 of 3 chunks could not be landed"));
  EXPECT_THAT(first.error().message, HasSubstr("landing threw: out of memory"));
  EXPECT_EQ(landed_keys(), (std::multiset<std::string>{"c1-a", "c1-b", "c3-a", "c3-b"}));

  auto second = run();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->chunks_landed, 1u);
  EXPECT_EQ(landed_keys(), (std::multiset<std::string>{"c1-a", "c1-b", "c2-a", "c2-b", "c3-a", "c3-b"}));
}

}  // namespace
}  // namespace gb::pipeline
