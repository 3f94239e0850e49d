#pragma once
// The S3 operations the store needs, over libcurl, path-style
// (ENDPOINT/BUCKET/KEY), each request signed with SigV4 (sigv4.hpp) and its
// payload's SHA-256. Thread-safe: each call takes an easy handle from a pool
// (connections are kept alive in them). Answers' bodies are bounded (an
// error or a small XML document, never an object: get_object streams). TLS
// is verified (libcurl's defaults, never turned off). Failures: see
// s3_errors.hpp. No retries here (the caller decides).
#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "sinks/s3/s3_settings.hpp"
#include "sinks/s3/sigv4.hpp"

namespace gb::sinks::s3::detail {

// What a request sends: memory, or a range of a file (read with pread).
struct Body {
  std::string_view memory;
  int fd = -1;  // >= 0: the bytes are [offset, offset + size) of this file
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string sha256;  // hex of the bytes

  std::uint64_t length() const { return fd >= 0 ? size : memory.size(); }
};

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

class S3Client {
 public:
  // Copies the settings (credentials included: they stay in this object).
  explicit S3Client(S3Settings settings);

  // The bucket exists and these credentials may use it (HEAD bucket).
  Status head_bucket();
  // PutObject; returns the ETag.
  Result<std::string> put_object(const std::string& key, const Body& body);
  // CreateMultipartUpload; returns the upload id.
  Result<std::string> create_multipart_upload(const std::string& key);
  // UploadPart (part numbers from 1); returns the part's ETag.
  Result<std::string> upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                  const Body& body);
  // CompleteMultipartUpload with the parts' ETags in order (part i+1 = etags[i]).
  Status complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                   const std::vector<std::string>& etags);
  Status abort_multipart_upload(const std::string& key, const std::string& upload_id);
  // GetObject, the body handed to `consume` as it arrives. NoSuchKey is
  // kPermanent "no object at s3://...".
  Status get_object(const std::string& key, const std::function<Status(std::string_view)>& consume);

  // "s3://bucket/key"
  std::string describe(const std::string& key) const;
  const S3Settings& settings() const { return settings_; }

 private:
  struct Call;
  struct Answer {
    long status = 0;
    std::string body;  // bounded
    std::string etag;
  };
  Result<Answer> perform(const Call& call);
  CurlPtr acquire();
  void release(CurlPtr handle);

  S3Settings settings_;
  std::string host_;  // the Host header: the endpoint's authority
  std::mutex mutex_;
  std::vector<CurlPtr> idle_;
};

}  // namespace gb::sinks::s3::detail
