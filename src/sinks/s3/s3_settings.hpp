#pragma once
// Where and how the S3 store writes: `--sink s3://BUCKET/PREFIX?endpoint=URL
// &region=R[&gzip=1]`, credentials from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks {

struct S3Settings {
  std::string bucket;
  // Where the landing's keys start ("" or '/'-separated segments, no leading
  // or trailing '/'). The store itself does not add it: the composition root
  // passes it on as ObjectLandingSettings::prefix, so keys given to the store
  // are relative to the bucket.
  std::string prefix;
  // "http(s)://host[:port]", no path; requests are path-style
  // (ENDPOINT/BUCKET/KEY). Default: https://s3.REGION.amazonaws.com.
  std::string endpoint;
  // Default us-east-1 (what AWS and most S3-compatible servers assume).
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an Error or a description
  std::string session_token;      // empty: long-term keys
  bool gzip = false;              // for ObjectLandingSettings::gzip; the store stores bytes as given
  // Objects up to this size go in one PUT; larger ones as a multipart upload
  // of part_size parts (S3: at least 5 MiB each but the last, at most 10000).
  std::uint64_t multipart_threshold = std::uint64_t{64} << 20;
  std::uint64_t part_size = std::uint64_t{8} << 20;
  // An object being written stays in memory up to this size (sent from
  // there), then goes to the spool file: what keeps S3 landings inside the
  // export's memory budget (about 2 MiB per object being written).
  std::uint64_t memory_buffer = std::uint64_t{1} << 20;
  int max_concurrent_writes = 4;
  // A request failing transiently is tried this many times in all, with
  // backoff, before commit() gives up (the landing then retries the chunk).
  int request_attempts = 4;
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than 1 byte/s for this long is abandoned (transient).
  std::chrono::milliseconds stall_timeout{60'000};
  // Where an object being written waits before its upload: bytes beyond
  // part_size are spooled to an unnamed temporary file here.
  std::filesystem::path spool_dir = std::filesystem::temp_directory_path();
};

// Parses `s3://BUCKET[/PREFIX][?endpoint=URL][&region=R][&gzip=0|1]`.
// kInvalidInput, saying what is wrong, for: another scheme, a bucket name
// S3 refuses (3-63 characters of a-z 0-9 . -, starting and ending with a
// letter or digit, no "..", not an IP address), a prefix with an empty, "."
// or ".." segment, an endpoint that is not http(s)://host[:port] (user
// info is refused: credentials come from the environment), an unknown
// parameter. Credentials are left empty (see credentials_from_environment).
Result<S3Settings> parse_s3_url(std::string_view url);

// Looks up an environment variable (the shape of config::EnvLookup, which
// sinks/ may not include: the composition root passes its own).
using S3EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Fills the credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// (optionally) AWS_SESSION_TOKEN, read through `env` (default: the process
// environment). kInvalidInput naming the missing variable, never a value.
Status credentials_from_environment(S3Settings& settings, const S3EnvLookup& env = {});

// s3://BUCKET/PREFIX?endpoint=...&region=... for logs: never credentials.
std::string describe_s3(const S3Settings& settings);

}  // namespace gb::sinks
