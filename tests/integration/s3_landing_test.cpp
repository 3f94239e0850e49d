// ObjectLanding (the generic object landing) over S3ObjectStore and s3rver,
// the ledger in the in-memory state store: chunks land as NDJSON objects at
// PREFIX/TYPE/JOB/CHUNK.ndjson[.gz], a second landing of a chunk writes
// nothing, the manifest comes last; all of it read back with boto3
// (peers/s3_read_back.py) and through the landing's own read_landed_keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "../unit/sinks/object_test_support.hpp"
#include "sinks/object_landing.hpp"
#include "sinks/s3/s3_object_store.hpp"
#include "testing/memory_state_store.hpp"
#include "testing/s3_server.hpp"

namespace gb::sinks {
namespace {

using namespace gb::sinks::test;  // NOLINT: test helpers
using fixtures::S3Server;

class S3LandingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!S3Server::available()) GTEST_SKIP() << "s3rver is not installed (run scripts/setup)";
    server_ = std::make_unique<S3Server>("gb-landing");
    S3Settings s;
    s.bucket = server_->bucket();
    s.endpoint = server_->endpoint();
    s.access_key_id = S3Server::kAccessKeyId;
    s.secret_access_key = "landing-secret";
    auto store = S3ObjectStore::open(s);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    store_ = std::move(*store);
    ObjectLandingSettings ls;
    ls.prefix = "lake/exports";
    ls.gzip = GetParam();
    ls.key_field_of = [](const std::string&) { return records::KeyField::kId; };
    landing_ = std::make_unique<ObjectLanding>(*store_, state_, ls);
  }

  // key -> bytes, as boto3 lists and reads them (the bytes' SHA-256 only).
  std::map<std::string, std::string> boto3_objects(const std::string& prefix) {
    fixtures::TempDir scratch("gb-s3-landing");
    fixtures::SpawnOptions o;
    o.argv = {"/usr/bin/python3", (fs::path(GB_SOURCE_DIR) / "tests/integration/peers/s3_read_back.py").string(),
              server_->endpoint(), server_->bucket(), prefix};
    o.env = {"PATH=/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1", "AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=x",
             "HOME=" + scratch.path().string()};
    const auto f = fixtures::run(o, scratch.path(), std::chrono::seconds(120));
    EXPECT_EQ(f.exit_code, 0) << f.output;
    std::map<std::string, std::string> out;
    if (f.exit_code != 0) return out;
    for (const auto& item : nlohmann::json::parse(f.output)) out[item["key"]] = item["sha256"];
    return out;
  }

  std::unique_ptr<S3Server> server_;
  std::unique_ptr<S3ObjectStore> store_;
  fixtures::MemoryStateStore state_;
  std::unique_ptr<ObjectLanding> landing_;
};

TEST_P(S3LandingTest, ChunksLandOnceAsObjectsAndTheManifestListsThem) {
  const bool gzip = GetParam();
  const std::string job = "3f9a1c2e-job";
  const std::string type = "bulk:users";
  ASSERT_TRUE(state_.upsert_job(JobInfo{job, type, "FULFILLED", "", 3, ""}).ok());
  std::vector<std::string> expected_keys;
  std::vector<ChunkStatus> statuses;
  std::map<std::string, std::string> checksums;  // object key -> LandResult::checksum
  for (int i = 0; i < 3; ++i) {
    const std::string id = "00000" + std::to_string(i);
    const ChunkRef chunk{job, id, type};
    auto batches = make_batches(id, 300 + static_cast<std::size_t>(i) * 50);
    VectorSource source(batches);
    auto landed = landing_->land(chunk, source, 1, std::nullopt);
    ASSERT_TRUE(landed.ok()) << landed.error().describe();
    EXPECT_FALSE(landed->already_landed);
    EXPECT_EQ(landed->records, 300U + static_cast<std::size_t>(i) * 50);
    checksums[landing_->chunk_key(chunk)] = landed->checksum;
    for (const auto& k : keys_of(id, landed->records)) expected_keys.push_back(k);
    // A second landing of the same chunk (a redelivery) writes nothing.
    VectorSource again(batches);
    auto second = landing_->land(chunk, again, 2, std::nullopt);
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_TRUE(second->already_landed);
  }
  auto status = state_.status(job);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->size(), 1U);
  const auto finished = landing_->finish_job(status->front().job, status->front().chunks);
  ASSERT_TRUE(finished.ok()) << finished.error().describe();

  const std::string job_prefix = "lake/exports/" + type + "/" + job + "/";
  const auto objects = boto3_objects(job_prefix);
  ASSERT_EQ(objects.size(), 4U);  // three chunks and the manifest
  for (const auto& [key, sha] : checksums) {
    EXPECT_EQ(key.substr(key.size() - (gzip ? 10 : 7)), gzip ? ".ndjson.gz" : ".ndjson");
    ASSERT_EQ(objects.count(key), 1U) << key;
    EXPECT_EQ(objects.at(key), sha) << key;  // the checksum the ledger keeps is the object's
  }
  EXPECT_EQ(objects.count(job_prefix + "_manifest.json"), 1U);

  auto keys = landing_->read_landed_keys(job);
  ASSERT_TRUE(keys.ok()) << keys.error().describe();
  std::sort(keys->keys.begin(), keys->keys.end());
  std::sort(expected_keys.begin(), expected_keys.end());
  EXPECT_EQ(keys->keys, expected_keys);
  EXPECT_EQ(keys->quarantined, 0U);
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, S3LandingTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "gzip" : "plain"; });

}  // namespace
}  // namespace gb::sinks
