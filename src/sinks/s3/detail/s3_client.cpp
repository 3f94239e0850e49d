#include "sinks/s3/detail/s3_client.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "sinks/s3/detail/s3_errors.hpp"

namespace gb::sinks::s3::detail {
namespace {

// An answer's body kept for errors and small XML documents.
constexpr std::size_t kMaxAnswerBytes = std::size_t{1} << 20;

void ensure_curl_global_init() {
  // Thread-safe in libcurl >= 7.84 (Debian 12: 7.88); once is enough anyway.
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)code;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return s;
}

// What one transfer reads from and writes to.
struct Transfer {
  CURL* handle = nullptr;
  const Body* body = nullptr;
  std::uint64_t sent = 0;
  const std::function<Status(std::string_view)>* consume = nullptr;
  std::optional<Error> consumer_error;
  std::optional<Error> read_error;
  std::string answer;
  std::string etag;
};

std::size_t read_body(char* out, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::uint64_t left = t->body->length() - t->sent;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, size * n));
  if (want == 0) return 0;
  if (t->body->fd >= 0) {
    const ssize_t got = ::pread(t->body->fd, out, want, static_cast<off_t>(t->body->offset + t->sent));
    if (got <= 0) {
      t->read_error = internal_error(fmt::format("s3 spool file: read failed: {}", std::strerror(errno)));
      return CURL_READFUNC_ABORT;
    }
    t->sent += static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
  }
  std::memcpy(out, t->body->memory.data() + t->sent, want);
  t->sent += want;
  return want;
}

// libcurl rewinds when it resends on a reused connection that had died.
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > t->body->length()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t write_answer(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  if (t->consume != nullptr && status >= 200 && status < 300) {
    Status st = (*t->consume)(std::string_view(data, bytes));
    if (!st) {
      t->consumer_error = std::move(st).error();
      return 0;  // aborts the transfer
    }
    return bytes;
  }
  if (t->answer.size() < kMaxAnswerBytes) t->answer.append(data, std::min(bytes, kMaxAnswerBytes - t->answer.size()));
  return bytes;
}

std::size_t read_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos && lower(std::string(line.substr(0, colon))) == "etag") {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    t->etag = std::string(value);
  }
  return size * n;
}

std::string content_type_of(const std::string& key) {
  auto ends_with = [&](std::string_view s) {
    return key.size() >= s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".gz")) return "application/gzip";
  if (ends_with(".ndjson")) return "application/x-ndjson";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

}  // namespace

struct S3Client::Call {
  std::string method;
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  const Body* body = nullptr;
  std::string content_type;
  const std::function<Status(std::string_view)>* consume = nullptr;
};

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  ensure_curl_global_init();
  const std::size_t scheme_end = settings_.endpoint.find("://");
  host_ = scheme_end == std::string::npos ? settings_.endpoint : settings_.endpoint.substr(scheme_end + 3);
}

std::string S3Client::describe(const std::string& key) const {
  return key.empty() ? "s3://" + settings_.bucket : "s3://" + settings_.bucket + "/" + key;
}

CurlPtr S3Client::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      CurlPtr h = std::move(idle_.back());
      idle_.pop_back();
      curl_easy_reset(h.get());  // keeps its live connections and caches
      return h;
    }
  }
  return CurlPtr(curl_easy_init());
}

void S3Client::release(CurlPtr handle) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(handle));
}

Result<S3Client::Answer> S3Client::perform(const Call& call) {
  const std::string what = fmt::format("{} {}", call.method, describe(call.key));
  CurlPtr handle = acquire();
  if (!handle) return internal_error("S3 " + what + ": curl_easy_init failed");
  CURL* h = handle.get();

  std::string path = "/" + settings_.bucket;
  if (!call.key.empty()) {
    path += '/';
    path += uri_encode(call.key, true);
  }
  std::string url = settings_.endpoint + path;
  if (!call.query.empty()) {
    url += '?';
    url += canonical_query(call.query);
  }

  SigningRequest req;
  req.method = call.method;
  req.canonical_uri = path;
  req.query = call.query;
  req.payload_sha256 = call.body != nullptr ? call.body->sha256 : std::string(kEmptySha256);
  req.headers = {{"host", host_}, {"x-amz-content-sha256", req.payload_sha256}};
  if (!call.content_type.empty()) req.headers.emplace_back("content-type", call.content_type);
  const SigningScope scope{settings_.region, "s3", std::chrono::system_clock::now()};
  HeaderList all = req.headers;
  for (auto& h2 : sign(req, {settings_.access_key_id, settings_.secret_access_key, settings_.session_token}, scope)) {
    all.push_back(std::move(h2));
  }
  SlistPtr headers;
  auto add = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    (void)headers.release();
    headers.reset(next);
    return true;
  };
  bool added = add("Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : all) added = added && add(fmt::format("{}: {}", name, value));
  if (!added) return internal_error("S3 " + what + ": out of memory");

  Transfer t;
  t.handle = h;
  t.body = call.body;
  t.consume = call.consume;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(settings_.stall_timeout.count() / 1000)));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_answer);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (call.body != nullptr) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.body->length()));
    // Fewer, larger reads from the spool file and sends (default 64 KiB).
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
    if (call.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  } else if (call.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (call.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (call.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }

  const CURLcode code = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  // The handle goes back to the pool with its connection; a failed one
  // closes it (curl knows) and the next use reconnects.
  release(std::move(handle));
  if (t.consumer_error) return std::move(*t.consumer_error);
  if (t.read_error) return std::move(*t.read_error);
  if (code != CURLE_OK) return curl_failure(code, error_buffer, what);
  return Answer{status, std::move(t.answer), std::move(t.etag)};
}

Status S3Client::head_bucket() {
  Call c{"HEAD", "", {}, nullptr, "", nullptr};
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status == 404) {
    Error e = permanent_error(fmt::format("S3 HEAD {}: HTTP 404 NoSuchBucket: bucket '{}' does not exist at {}",
                                          describe(""), settings_.bucket, settings_.endpoint));
    e.http_status = 404;
    return e;
  }
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, "HEAD " + describe(""));
  return ok_status();
}

Result<std::string> S3Client::put_object(const std::string& key, const Body& body) {
  Call c{"PUT", key, {}, &body, content_type_of(key), nullptr};
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, "PUT " + describe(key));
  return std::move(a->etag);
}

Result<std::string> S3Client::create_multipart_upload(const std::string& key) {
  Call c{"POST", key, {{"uploads", ""}}, nullptr, content_type_of(key), nullptr};
  const std::string what = "CreateMultipartUpload " + describe(key);
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, what);
  std::string id = xml_value(a->body, "UploadId");
  if (id.empty()) return transient_error("S3 " + what + ": the answer has no UploadId");
  return id;
}

Result<std::string> S3Client::upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                          const Body& body) {
  Call c{"PUT", key, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}}, &body, "", nullptr};
  const std::string what = fmt::format("UploadPart {} part {}", describe(key), part_number);
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, what);
  if (a->etag.empty()) return transient_error("S3 " + what + ": the answer has no ETag");
  return std::move(a->etag);
}

Status S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                           const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (std::size_t i = 0; i < etags.size(); ++i) {
    // ETags are quoted hex ("..."): nothing to escape but the quotes, which XML allows in text.
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, etags[i]);
  }
  xml += "</CompleteMultipartUpload>";
  Body body;
  body.memory = xml;
  body.sha256 = sha256_hex(xml);
  Call c{"POST", key, {{"uploadId", upload_id}}, &body, "application/xml", nullptr};
  const std::string what = "CompleteMultipartUpload " + describe(key);
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, what);
  if (a->body.find("<Error>") != std::string::npos) return s3_error_in_ok_body(a->body, what);
  return ok_status();
}

Status S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  Call c{"DELETE", key, {{"uploadId", upload_id}}, nullptr, "", nullptr};
  const std::string what = "AbortMultipartUpload " + describe(key);
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if ((a->status < 200 || a->status >= 300) && a->status != 404) return s3_http_error(a->status, a->body, what);
  return ok_status();
}

Status S3Client::get_object(const std::string& key, const std::function<Status(std::string_view)>& consume) {
  Call c{"GET", key, {}, nullptr, "", &consume};
  auto a = perform(c);
  if (!a) return std::move(a).error();
  if (a->status == 404 && xml_value(a->body, "Code") != "NoSuchBucket") {
    Error e = permanent_error("no object at " + describe(key));
    e.http_status = 404;
    return e;
  }
  if (a->status < 200 || a->status >= 300) return s3_http_error(a->status, a->body, "GET " + describe(key));
  return ok_status();
}

}  // namespace gb::sinks::s3::detail
