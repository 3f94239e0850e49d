#include "sinks/s3/s3_object_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "sinks/detail/sha256.hpp"
#include "sinks/s3/detail/s3_client.hpp"
#include "sinks/s3/detail/spool_file.hpp"

namespace gb::sinks {
namespace {

using s3::detail::Body;
using s3::detail::S3Client;
using s3::detail::SpoolFile;

// S3's limits on multipart uploads.
constexpr std::uint64_t kMinPartSize = std::uint64_t{5} << 20;
constexpr std::uint64_t kMaxParts = 10'000;
// Bytes gathered before a write to the spool file.
constexpr std::size_t kSpoolBuffer = std::size_t{1} << 20;

bool valid_key(const std::string& key) {
  if (key.empty()) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = key.find('/', start);
    const std::string_view seg = std::string_view(key).substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

// Runs `op` until it succeeds, fails other than transiently, or has been
// tried `attempts` times; 200 ms, 800 ms, 3.2 s ... between tries.
template <class Op>
auto with_retries(int attempts, Op op) -> decltype(op()) {
  std::chrono::milliseconds pause{200};
  for (int attempt = 1;; ++attempt) {
    auto r = op();
    if (r.ok() || !r.error().transient() || attempt >= attempts) return r;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 4, std::chrono::milliseconds(10'000));
  }
}

class S3ObjectWrite final : public ObjectWrite {
 public:
  S3ObjectWrite(S3Client& client, std::string key, detail::Sha256 sha)
      : client_(client), key_(std::move(key)), sha_(std::move(sha)) {
    const S3Settings& s = client_.settings();
    memory_limit_ = static_cast<std::size_t>(std::min({s.memory_buffer, s.part_size, s.multipart_threshold}));
  }

  Status write(std::string_view bytes) override {
    if (done_) return internal_error("s3: write after commit to " + client_.describe(key_));
    Status st = append(bytes);
    broken_ = broken_ || !st.ok();
    return st;
  }

  Status commit() override {
    if (done_) return internal_error("s3: commit twice of " + client_.describe(key_));
    if (broken_) return internal_error("s3: commit after a failed write of " + client_.describe(key_));
    done_ = true;
    if (spool_) {
      if (auto st = flush(); !st) return st;
    }
    const S3Settings& s = client_.settings();
    auto sha = sha_.hex();
    if (!sha) return std::move(sha).error();
    if (size_ <= s.multipart_threshold) {
      Body body;
      if (spool_) {
        body.fd = spool_->fd();
        body.size = size_;
      } else {
        body.memory = buffer_;
      }
      body.sha256 = std::move(*sha);
      auto etag = with_retries(s.request_attempts, [&] { return client_.put_object(key_, body); });
      if (!etag) return std::move(etag).error();
      return ok_status();
    }
    return multipart();
  }

 private:
  Status append(std::string_view bytes) {
    if (auto st = sha_.update(bytes); !st) return st;
    size_ += bytes.size();
    if (!spool_ && buffer_.size() + bytes.size() <= memory_limit_) {
      buffer_.append(bytes);
      return ok_status();
    }
    if (!spool_) {
      // The object outgrows memory: what is buffered goes to the spool file,
      // and from here on the buffer only gathers kSpoolBuffer bytes at a time.
      auto spool = SpoolFile::create(client_.settings().spool_dir);
      if (!spool) return std::move(spool).error();
      spool_ = std::move(*spool);
      if (auto st = flush(); !st) return st;
      std::string().swap(buffer_);
    }
    if (buffer_.size() + bytes.size() > kSpoolBuffer) {
      if (auto st = flush(); !st) return st;
      if (bytes.size() >= kSpoolBuffer) return spool_->append(bytes);  // big pieces go straight through
    }
    buffer_.append(bytes);
    return ok_status();
  }

  Status flush() {
    Status st = spool_->append(buffer_);
    buffer_.clear();
    return st;
  }

  Status multipart() {
    const S3Settings& s = client_.settings();
    const std::uint64_t parts = (size_ + s.part_size - 1) / s.part_size;
    if (parts > kMaxParts) {
      return permanent_error(fmt::format("s3: {} bytes for {} need {} parts of {} bytes; S3 allows {}", size_,
                                         client_.describe(key_), parts, s.part_size, kMaxParts));
    }
    auto upload = with_retries(s.request_attempts, [&] { return client_.create_multipart_upload(key_); });
    if (!upload) return std::move(upload).error();
    const std::string& id = *upload;
    Status st = upload_parts(id, parts);
    if (st) {
      st = with_retries(s.request_attempts, [&] { return client_.complete_multipart_upload(key_, id, etags_); });
    }
    if (!st) {
      // Best effort: an upload left behind is invisible (no object) and only
      // costs storage until a lifecycle rule removes it.
      (void)client_.abort_multipart_upload(key_, id);
    }
    return st;
  }

  // Each part is hashed, then sent, straight from the spool file: no part
  // is ever held in memory.
  Status upload_parts(const std::string& id, std::uint64_t parts) {
    const S3Settings& s = client_.settings();
    std::string piece(kSpoolBuffer, '\0');
    for (std::uint64_t i = 0; i < parts; ++i) {
      Body body;
      body.fd = spool_->fd();
      body.offset = i * s.part_size;
      body.size = std::min(s.part_size, size_ - body.offset);
      auto part_sha = detail::Sha256::make();
      if (!part_sha) return std::move(part_sha).error();
      for (std::uint64_t at = 0; at < body.size; at += piece.size()) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(piece.size(), body.size - at));
        if (auto st = spool_->read_at(body.offset + at, piece.data(), n); !st) return st;
        if (auto st = part_sha->update(std::string_view(piece).substr(0, n)); !st) return st;
      }
      auto part_hex = part_sha->hex();
      if (!part_hex) return std::move(part_hex).error();
      body.sha256 = std::move(*part_hex);
      const int number = static_cast<int>(i + 1);
      auto etag = with_retries(s.request_attempts, [&] { return client_.upload_part(key_, id, number, body); });
      if (!etag) return std::move(etag).error();
      etags_.push_back(std::move(*etag));
    }
    return ok_status();
  }

  S3Client& client_;
  std::string key_;
  std::size_t memory_limit_ = 0;
  std::string buffer_;  // the whole object while it fits, then what waits for the spool
  std::unique_ptr<SpoolFile> spool_;
  detail::Sha256 sha_;  // of the whole object
  std::uint64_t size_ = 0;
  std::vector<std::string> etags_;
  bool done_ = false;
  bool broken_ = false;  // a write failed: the object would be incomplete
};

}  // namespace

S3ObjectStore::S3ObjectStore(std::unique_ptr<S3Client> client) : client_(std::move(client)) {}
S3ObjectStore::~S3ObjectStore() = default;

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::open(const S3Settings& settings) {
  if (settings.bucket.empty() || settings.endpoint.empty()) {
    return invalid_input("s3 sink: a bucket and an endpoint are needed (see parse_s3_url)");
  }
  if (settings.access_key_id.empty() || settings.secret_access_key.empty()) {
    return invalid_input("s3 sink: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (settings.part_size < kMinPartSize && settings.part_size < settings.multipart_threshold) {
    return invalid_input(fmt::format("s3 sink: part size {} is under S3's minimum of 5 MiB", settings.part_size));
  }
  if (settings.part_size == 0 || settings.max_concurrent_writes < 1 || settings.request_attempts < 1) {
    return invalid_input("s3 sink: part size, concurrent writes and request attempts must be positive");
  }
  auto client = std::make_unique<S3Client>(settings);
  if (auto st = with_retries(settings.request_attempts, [&] { return client->head_bucket(); }); !st) {
    return std::move(st).error();
  }
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(client)));
}

Result<std::unique_ptr<ObjectWrite>> S3ObjectStore::begin_write(const std::string& key) {
  if (!valid_key(key)) return internal_error("s3: invalid object key '" + key + "'");
  auto sha = detail::Sha256::make();
  if (!sha) return std::move(sha).error();
  return std::unique_ptr<ObjectWrite>(std::make_unique<S3ObjectWrite>(*client_, key, std::move(*sha)));
}

Status S3ObjectStore::read(const std::string& key, const std::function<Status(std::string_view)>& consume) {
  return client_->get_object(key, consume);
}

std::string S3ObjectStore::describe(const std::string& key) const {
  return client_->describe(key);
}

int S3ObjectStore::max_concurrent_writes() const {
  return client_->settings().max_concurrent_writes;
}

std::uint64_t S3ObjectStore::memory_per_write() const {
  const S3Settings& s = client_->settings();
  // In memory until it spools, then at most a spool buffer's worth.
  return std::max<std::uint64_t>(std::min({s.memory_buffer, s.part_size, s.multipart_threshold}), kSpoolBuffer);
}

}  // namespace gb::sinks
