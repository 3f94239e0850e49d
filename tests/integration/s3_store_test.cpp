// S3ObjectStore against a real S3-compatible server (s3rver, started here on
// a free port with a private directory), what landed read back by boto3 as
// an independent client (peers/s3_read_back.py).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sinks/s3/s3_object_store.hpp"
#include "sinks/s3/s3_settings.hpp"
#include "sinks/s3/sigv4.hpp"
#include "testing/s3_server.hpp"

namespace gb::sinks {
namespace {

namespace fs = std::filesystem;
using fixtures::S3Server;

// Never accepted by s3rver as a check, but it must never show anywhere either.
constexpr const char* kSecret = "TOPSECRET/never-in-a-message+42";

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!S3Server::available()) GTEST_SKIP() << "s3rver is not installed (run scripts/setup)";
    server_ = std::make_unique<S3Server>();
  }

  S3Settings settings() const {
    S3Settings s;
    s.bucket = server_->bucket();
    s.endpoint = server_->endpoint();
    s.region = "us-east-1";
    s.access_key_id = S3Server::kAccessKeyId;
    s.secret_access_key = kSecret;
    return s;
  }

  std::unique_ptr<S3ObjectStore> open(const S3Settings& s) {
    auto store = S3ObjectStore::open(s);
    if (!store) ADD_FAILURE() << store.error().describe();
    return store ? std::move(*store) : nullptr;
  }

  static Status put(ObjectStore& store, const std::string& key, const std::string& bytes, std::size_t piece = 4096) {
    auto w = store.begin_write(key);
    if (!w) return std::move(w).error();
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      if (auto st = (*w)->write(std::string_view(bytes).substr(at, piece)); !st) return st;
    }
    return (*w)->commit();
  }

  static Result<std::string> get(ObjectStore& store, const std::string& key) {
    std::string out;
    auto st = store.read(key, [&](std::string_view piece) {
      out.append(piece);
      return ok_status();
    });
    if (!st) return std::move(st).error();
    return out;
  }

  // What boto3 lists and reads under `prefix`: key -> (size, sha256, etag).
  struct Seen {
    std::uint64_t size = 0;
    std::string sha256;
    std::string etag;
  };
  std::map<std::string, Seen> boto3_read_back(const std::string& prefix) {
    fixtures::TempDir scratch("gb-s3-boto3");
    fixtures::SpawnOptions o;
    o.argv = {"/usr/bin/python3", (fs::path(GB_SOURCE_DIR) / "tests/integration/peers/s3_read_back.py").string(),
              server_->endpoint(), server_->bucket(), prefix};
    o.env = {"PATH=/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1",
             std::string("AWS_ACCESS_KEY_ID=") + S3Server::kAccessKeyId,
             std::string("AWS_SECRET_ACCESS_KEY=") + kSecret, "HOME=" + scratch.path().string()};
    const auto f = fixtures::run(o, scratch.path(), std::chrono::seconds(120));
    EXPECT_EQ(f.exit_code, 0) << f.output;
    std::map<std::string, Seen> out;
    if (f.exit_code != 0) return out;
    for (const auto& item : nlohmann::json::parse(f.output)) {
      out[item["key"].get<std::string>()] = {item["size"].get<std::uint64_t>(), item["sha256"].get<std::string>(),
                                             item["etag"].get<std::string>()};
    }
    return out;
  }

  std::unique_ptr<S3Server> server_;
};

// NDJSON-like lines, deterministic, not compressible to nothing.
std::string make_bytes(std::size_t size, std::uint64_t seed) {
  std::string out;
  out.reserve(size + 128);
  std::uint64_t x = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  while (out.size() < size) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out += "{\"id\":\"" + std::to_string(x >> 11) + "\",\"v\":\"\xc3\xa9" + std::to_string(x % 99991) + "\"}\n";
  }
  out.resize(size);
  return out;
}

TEST_F(S3StoreTest, PutsASmallObjectAndReadsItBack) {
  auto store = open(settings());
  ASSERT_TRUE(store);
  const std::string key = "exports/bulk:users/job 1/000001.ndjson";
  const std::string bytes = make_bytes(10'000, 1);
  ASSERT_TRUE(put(*store, key, bytes, 777).ok());
  auto back = get(*store, key);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, bytes);
  EXPECT_EQ(store->describe(key), "s3://" + server_->bucket() + "/" + key);
  // An empty object (a chunk's quarantine with nothing in it) too.
  ASSERT_TRUE(put(*store, "exports/empty.ndjson", "").ok());
  auto empty = get(*store, "exports/empty.ndjson");
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_EQ(*empty, "");
}

TEST_F(S3StoreTest, AnObjectOverTheMultipartThresholdReadsBackByteIdentical) {
  S3Settings s = settings();
  s.multipart_threshold = std::uint64_t{6} << 20;
  s.part_size = std::uint64_t{5} << 20;  // S3's minimum but for the last part
  auto store = open(s);
  ASSERT_TRUE(store);
  const std::string key = "p/conversations/J/000002.ndjson";
  const std::string bytes = make_bytes((std::size_t{13} << 20) + 12345, 2);  // 3 parts
  ASSERT_TRUE(put(*store, key, bytes, 100'000).ok());
  auto back = get(*store, key);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->size(), bytes.size());
  EXPECT_TRUE(*back == bytes);
  const auto seen = boto3_read_back("p/");
  ASSERT_EQ(seen.count(key), 1U);
  EXPECT_EQ(seen.at(key).sha256, s3::sha256_hex(bytes));
  // It went as a multipart upload of three parts (s3rver's ETag is the
  // whole object's MD5 either way, so its log tells).
  const std::string log = server_->log();
  EXPECT_NE(log.find("uploads"), std::string::npos);
  EXPECT_NE(log.find("partNumber=3"), std::string::npos);
  EXPECT_EQ(log.find("partNumber=4"), std::string::npos);
  // Written in one piece bigger than everything the store buffers.
  const std::string whole_key = "p/conversations/J/000003.ndjson";
  ASSERT_TRUE(put(*store, whole_key, bytes, bytes.size()).ok());
  auto whole = get(*store, whole_key);
  ASSERT_TRUE(whole.ok()) << whole.error().describe();
  EXPECT_TRUE(*whole == bytes);
}

TEST_F(S3StoreTest, RewritingAKeyWithTheSameBytesGivesTheSameObject) {
  S3Settings s = settings();
  s.multipart_threshold = std::uint64_t{6} << 20;
  s.part_size = std::uint64_t{5} << 20;
  auto store = open(s);
  ASSERT_TRUE(store);
  for (const std::size_t size : {std::size_t{50'000}, std::size_t{11} << 20}) {
    const std::string key = "p/bulk:users/J/rewrite-" + std::to_string(size) + ".ndjson.gz";
    const std::string bytes = make_bytes(size, 3);
    ASSERT_TRUE(put(*store, key, bytes).ok());
    const auto first = boto3_read_back(key);
    // Something else there in between (a failed attempt's leftovers), then the retry.
    ASSERT_TRUE(put(*store, key, make_bytes(size / 2, 4)).ok());
    ASSERT_TRUE(put(*store, key, bytes).ok());
    const auto second = boto3_read_back(key);
    ASSERT_EQ(first.size(), 1U);
    ASSERT_EQ(second.size(), 1U);
    EXPECT_EQ(first.at(key).sha256, s3::sha256_hex(bytes));
    EXPECT_EQ(second.at(key).sha256, first.at(key).sha256);
    EXPECT_EQ(second.at(key).size, size);
    EXPECT_EQ(second.at(key).etag, first.at(key).etag);
  }
}

TEST_F(S3StoreTest, Boto3ListsAndReadsExactlyWhatLanded) {
  auto store = open(settings());
  ASSERT_TRUE(store);
  std::map<std::string, std::string> expected;  // key -> sha256
  const std::vector<std::string> keys = {
      "exp/bulk:users/job-1/000001.ndjson",
      "exp/bulk:users/job-1/000002.ndjson.gz",
      "exp/conversations/job 2 \xc3\xa9t\xc3\xa9/000001.ndjson",
      "exp/conversations/job 2 \xc3\xa9t\xc3\xa9/_manifest.json",
      "exp/odd/a+b=c&d~e  f/\xe2\x82\xac.ndjson",
  };
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string bytes = make_bytes(1000 + i * 4096, 10 + i);
    ASSERT_TRUE(put(*store, keys[i], bytes).ok()) << keys[i];
    expected[keys[i]] = s3::sha256_hex(bytes);
  }
  // An object that was begun but never committed leaves nothing.
  {
    auto w = store->begin_write("exp/never/committed.ndjson");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write(make_bytes(9000, 99)).ok());
  }
  ASSERT_TRUE(put(*store, "other/outside.ndjson", "x\n").ok());
  std::map<std::string, std::string> seen;
  for (const auto& [key, s] : boto3_read_back("exp/")) seen[key] = s.sha256;
  EXPECT_EQ(seen, expected);
  auto missing = get(*store, "exp/never/committed.ndjson");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(missing.error().message.find("no object at s3://"), std::string::npos) << missing.error().message;
}

TEST_F(S3StoreTest, AWrongBucketIsAClearPermanentError) {
  S3Settings s = settings();
  s.bucket = "no-such-bucket";
  auto store = S3ObjectStore::open(s);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(store.error().message.find("NoSuchBucket"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("no-such-bucket"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find(kSecret), std::string::npos);
  // A key id the server does not know: refused, permanently, with S3's code.
  S3Settings k = settings();
  k.access_key_id = "AKIANOTKNOWN";
  auto refused = S3ObjectStore::open(k);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kPermanent) << refused.error().describe();
  EXPECT_EQ(refused.error().message.find(kSecret), std::string::npos);
}

TEST_F(S3StoreTest, AStoppedServerIsTransientAndTheStoreRecoversWhenItIsBack) {
  S3Settings s = settings();
  s.request_attempts = 2;
  auto store = open(s);
  ASSERT_TRUE(store);
  server_->stop();
  const Status st = put(*store, "p/t/J/000001.ndjson", make_bytes(1000, 5));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kTransient) << st.error().describe();
  EXPECT_EQ(st.error().message.find(kSecret), std::string::npos);
  auto read = get(*store, "p/t/J/000001.ndjson");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::kTransient) << read.error().describe();
  auto reopen = S3ObjectStore::open(s);
  ASSERT_FALSE(reopen.ok());
  EXPECT_EQ(reopen.error().kind, ErrorKind::kTransient) << reopen.error().describe();
  server_->start();
  ASSERT_TRUE(put(*store, "p/t/J/000001.ndjson", make_bytes(1000, 5)).ok());
  auto back = get(*store, "p/t/J/000001.ndjson");
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, make_bytes(1000, 5));
}

// A multipart upload cut off by the server going away mid-upload leaves no
// object (the parts of an unfinished upload are invisible); the retry then
// lands the whole object.
TEST_F(S3StoreTest, AMultipartUploadCutOffLeavesNoObjectAndTheRetryLandsItWhole) {
  S3Settings s = settings();
  s.multipart_threshold = std::uint64_t{6} << 20;
  s.part_size = std::uint64_t{5} << 20;
  s.request_attempts = 1;
  auto store = open(s);
  ASSERT_TRUE(store);
  const std::string key = "cut/t/J/000001.ndjson";
  const std::string bytes = make_bytes(std::size_t{30} << 20, 7);  // 6 parts
  std::thread killer([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (server_->log().find("partNumber=2") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    server_->stop();
  });
  const Status cut = put(*store, key, bytes, std::size_t{1} << 20);
  killer.join();
  ASSERT_FALSE(cut.ok()) << "the upload finished before the server was stopped";
  EXPECT_EQ(cut.error().kind, ErrorKind::kTransient) << cut.error().describe();
  server_->start();
  EXPECT_TRUE(boto3_read_back("cut/").empty());
  ASSERT_TRUE(put(*store, key, bytes, std::size_t{1} << 20).ok());
  const auto seen = boto3_read_back("cut/");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen.at(key).size, bytes.size());
  EXPECT_EQ(seen.at(key).sha256, s3::sha256_hex(bytes));
}

TEST_F(S3StoreTest, SeveralWritersAtOnceLandEveryObject) {
  auto store = open(settings());
  ASSERT_TRUE(store);
  const int writers = store->max_concurrent_writes();
  ASSERT_EQ(writers, 4);
  std::map<std::string, std::string> expected;
  for (int w = 0; w < writers; ++w) {
    for (int i = 0; i < 5; ++i) expected[fmt::format("c/t/J/{}-{}.ndjson", w, i)] = "";
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 5; ++i) {
        if (!put(*store, fmt::format("c/t/J/{}-{}.ndjson", w, i), make_bytes(200'000 + w * 1000 + i, w * 10 + i))) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int w = 0; w < writers; ++w) {
    for (int i = 0; i < 5; ++i) {
      expected[fmt::format("c/t/J/{}-{}.ndjson", w, i)] =
          s3::sha256_hex(make_bytes(200'000 + w * 1000 + i, w * 10 + i));
    }
  }
  std::map<std::string, std::string> seen;
  for (const auto& [key, s] : boto3_read_back("c/")) seen[key] = s.sha256;
  EXPECT_EQ(seen, expected);
}

// TLS is verified: a server whose certificate nobody vouches for is refused,
// permanently (retrying cannot make it trusted).
TEST(S3StoreTls, AnUntrustedCertificateIsRefused) {
  if (!S3Server::available()) GTEST_SKIP() << "s3rver is not installed (run scripts/setup)";
  S3Server server("tls-bucket", /*tls=*/true);
  S3Settings s;
  s.bucket = server.bucket();
  s.endpoint = server.endpoint();
  s.access_key_id = S3Server::kAccessKeyId;
  s.secret_access_key = kSecret;
  ASSERT_EQ(s.endpoint.rfind("https://", 0), 0U);
  auto store = S3ObjectStore::open(s);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kPermanent) << store.error().describe();
  EXPECT_NE(store.error().message.find("certificate"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace gb::sinks
