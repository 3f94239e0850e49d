#pragma once
// AWS Signature Version 4 (header form) for S3 requests: pure functions over
// a request's parts, no I/O, no clock. Follows
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// as S3 applies it: the path is URI-encoded once and never normalised (no
// "." / ".." / "//" folding, no double encoding).
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gb::sinks::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an Error
  std::string session_token;      // empty: none (long-term keys)
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the path as sent on the wire, already URI-encoded ("/bucket/a%3Ab")
  // Query parameters, raw (not encoded): the signer encodes and sorts them.
  // A parameter without a value ("?uploads") has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, "host" included; names in any case. The signer adds
  // x-amz-date and, with a session token, x-amz-security-token.
  HeaderList headers;
  std::string payload_sha256;  // lowercase hex of the body's SHA-256, or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
  std::chrono::system_clock::time_point time;
};

// URI-encodes per SigV4: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX
// (uppercase hex); '/' is kept when keep_slash (paths), encoded otherwise.
std::string uri_encode(std::string_view bytes, bool keep_slash);

// "20150830T123600Z" (UTC).
std::string amz_date(std::chrono::system_clock::time_point time);

// The canonical query string: names and values encoded, sorted by name then
// value, joined by '&'.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

// The headers the signature covers, once x-amz-date (and the session token)
// are added: lowercase names, sorted, values trimmed with inner runs of
// spaces folded, repeated names joined by ','.
HeaderList headers_to_sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope);

// The canonical request, the string to sign and the signature: the steps,
// exposed so tests can compare each against published vectors.
std::string canonical_request(const SigningRequest& request, const HeaderList& signed_headers);
std::string string_to_sign(const std::string& canonical_request, const SigningScope& scope);
std::string signature(const std::string& string_to_sign, const Credentials& credentials, const SigningScope& scope);

// Signs: the headers to add to the request, in this order: x-amz-date,
// x-amz-security-token (only with a session token) and authorization.
HeaderList sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope);

// Lowercase hex of SHA-256(bytes); and of nothing.
std::string sha256_hex(std::string_view bytes);
inline constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace gb::sinks::s3
