#pragma once
// The ObjectStore (object_landing.hpp) of S3-compatible object storage:
// `--sink s3://BUCKET/PREFIX?endpoint=URL&region=R`. Keys given to it are
// relative to the bucket (the landing puts the prefix in them; see
// S3Settings::prefix). Requests are path-style and signed with SigV4.
//
// An ObjectWrite holds at most memory_buffer bytes in memory (an object
// that small is sent from memory), the rest in an unnamed temporary file; commit() sends one PutObject when the object
// is at most multipart_threshold bytes, otherwise a multipart upload of part_size parts (each tried request_attempts
// times on a transient error; the upload aborted if it fails). Either way the object appears whole at once or not at
// all, and rewriting a key with the same bytes gives the same object. Thread-safe.
#include <memory>
#include <string>

#include "base/result.hpp"
#include "sinks/object_landing.hpp"
#include "sinks/s3/s3_settings.hpp"

namespace gb::sinks {

namespace s3::detail {
class S3Client;
}

class S3ObjectStore final : public ObjectStore {
 public:
  // Checks the settings (kInvalidInput: no credentials, a part size S3
  // refuses) and that the bucket answers (HEAD bucket: a missing bucket or
  // refused credentials are kPermanent, an unreachable endpoint kTransient).
  static Result<std::unique_ptr<S3ObjectStore>> open(const S3Settings& settings);
  ~S3ObjectStore() override;

  Result<std::unique_ptr<ObjectWrite>> begin_write(const std::string& key) override;
  Status read(const std::string& key, const std::function<Status(std::string_view)>& consume) override;
  // "s3://BUCKET/KEY"
  std::string describe(const std::string& key) const override;
  int max_concurrent_writes() const override;
  std::uint64_t memory_per_write() const override;

 private:
  explicit S3ObjectStore(std::unique_ptr<s3::detail::S3Client> client);
  std::unique_ptr<s3::detail::S3Client> client_;
};

}  // namespace gb::sinks
