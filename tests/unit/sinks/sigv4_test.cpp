// The SigV4 signer against AWS's published test vectors (data/sigv4/) and
// against botocore's own signers on S3 requests (peers/botocore_sign.py).
#include "sinks/s3/sigv4.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "testing/server_process.hpp"

namespace gb::sinks::s3 {
namespace {

namespace fs = std::filesystem;

const fs::path kVectors = fs::path(GB_SOURCE_DIR) / "tests/unit/sinks/data/sigv4";

// 2015-08-30T12:36:00Z, the suite's time.
std::chrono::system_clock::time_point suite_time() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

Credentials suite_credentials() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
}

std::string read_vector(const std::string& name, const std::string& ext) {
  const fs::path path = kVectors / (name + "." + ext);
  if (!fs::exists(path)) throw std::runtime_error("missing " + path.string());
  return fixtures::slurp(path);
}

// A .req file: "METHOD PATH[?QUERY] HTTP/1.1", "Name:value" lines, an empty
// line and the body. The path and query are raw (not encoded).
SigningRequest parse_req(const std::string& text) {
  SigningRequest r;
  std::size_t pos = text.find('\n');
  const std::string first = text.substr(0, pos);
  const std::size_t sp = first.find(' ');
  r.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, first.rfind(" HTTP/1.1") - sp - 1);
  if (const std::size_t q = target.find('?'); q != std::string::npos) {
    std::string query = target.substr(q + 1);
    target.resize(q);
    std::size_t start = 0;
    while (start <= query.size()) {
      std::size_t amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      const std::string pair = query.substr(start, amp - start);
      const std::size_t eq = pair.find('=');
      r.query.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
      start = amp + 1;
    }
  }
  r.canonical_uri = uri_encode(target, true);
  std::string body;
  while (pos != std::string::npos) {
    const std::size_t next = text.find('\n', pos + 1);
    const std::string line = text.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    if (line.empty()) {
      body = pos == std::string::npos ? "" : text.substr(pos + 1);
      break;
    }
    const std::size_t colon = line.find(':');
    const std::string name = line.substr(0, colon);
    if (name == "X-Amz-Date") continue;  // the signer sets it from the scope's time
    r.headers.emplace_back(name, line.substr(colon + 1));
  }
  r.payload_sha256 = sha256_hex(body);
  return r;
}

class SuiteVector : public ::testing::TestWithParam<std::string> {};

TEST_P(SuiteVector, CanonicalRequestStringToSignAndAuthorizationMatch) {
  const std::string name = GetParam();
  SigningRequest request = parse_req(read_vector(name, "req"));
  Credentials credentials = suite_credentials();
  if (name == "get-vanilla-with-session-token") {
    credentials.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  }
  const SigningScope scope{"us-east-1", "service", suite_time()};
  const HeaderList signed_headers = headers_to_sign(request, credentials, scope);
  const std::string creq = canonical_request(request, signed_headers);
  EXPECT_EQ(creq, read_vector(name, "creq"));
  const std::string sts = string_to_sign(creq, scope);
  EXPECT_EQ(sts, read_vector(name, "sts"));
  const HeaderList added = sign(request, credentials, scope);
  ASSERT_FALSE(added.empty());
  EXPECT_EQ(added.back().first, "authorization");
  EXPECT_EQ(added.back().second, read_vector(name, "authz"));
  EXPECT_EQ(added.front(), (std::pair<std::string, std::string>{"x-amz-date", "20150830T123600Z"}));
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, SuiteVector,
                         ::testing::Values("get-vanilla", "get-vanilla-query-order-key-case",
                                           "get-vanilla-query-unreserved", "get-vanilla-utf8-query", "get-utf8",
                                           "get-vanilla-with-session-token", "post-x-www-form-urlencoded", "get-space",
                                           "get-special-character", "get-header-value-trim",
                                           "get-header-key-duplicate"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(SigV4, UriEncodeKeepsUnreservedAndSlashesOnlyInPaths) {
  EXPECT_EQ(uri_encode("a-b_c.d~e/f g:h+i%j=k&l", true), "a-b_c.d~e/f%20g%3Ah%2Bi%25j%3Dk%26l");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(uri_encode("\xe1\x88\xb4", true), "%E1%88%B4");
}

TEST(SigV4, Sha256OfNothing) {
  EXPECT_EQ(sha256_hex(""), kEmptySha256);
}

// --- against botocore -------------------------------------------------------

struct S3Case {
  std::string method;
  std::string host;      // "127.0.0.1:9000"
  std::string raw_path;  // "/bucket/key" before encoding
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;  // besides host and x-amz-content-sha256
  std::string body;
  std::string token;
  bool s3 = true;
};

std::string url_of(const S3Case& c) {
  std::string url = "http://" + c.host + uri_encode(c.raw_path, true);
  if (!c.query.empty()) url += "?" + canonical_query(c.query);
  return url;
}

std::string hex_of(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

TEST(SigV4, SignsS3RequestsExactlyAsBotocoreDoes) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 (scripts/setup installs it)";
  const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  const std::string payload = "{\"id\":\"1\"}\n{\"id\":\"\xe1\x88\xb4 2\"}\n";
  std::vector<S3Case> cases = {
      // PutObject of a chunk: an export type with ':' and a job id with spaces and UTF-8.
      {"PUT",
       "127.0.0.1:9000",
       "/bucket/exports/bulk:users/job 1 \xc3\xa9t\xc3\xa9/000001.ndjson",
       {},
       {{"Content-Type", "application/x-ndjson"}},
       payload,
       "",
       true},
      {"PUT",
       "127.0.0.1:9000",
       "/bucket/p/bulk:users/J/000002.ndjson.gz",
       {},
       {{"Content-Type", "application/gzip"}, {"Content-Length", std::to_string(payload.size())}},
       payload,
       "",
       true},
      // Keys with characters SigV4 must encode: '+', '=', '&', '%', '~', runs of spaces.
      {"GET", "127.0.0.1:9000", "/bucket/a+b=c&d%e~f  g/\xe2\x82\xac.ndjson", {}, {}, "", "", true},
      // CreateMultipartUpload (?uploads, a parameter without a value), with a session token.
      {"POST",
       "s3.eu-west-1.amazonaws.com",
       "/bucket/p/conversations/J/000003.ndjson",
       {{"uploads", ""}},
       {},
       "",
       "FwoGZXIvYXdzEJr//////////wEaDH+session/token=",
       true},
      // UploadPart: an upload id with characters that need encoding.
      {"PUT",
       "127.0.0.1:9000",
       "/bucket/k.ndjson",
       {{"partNumber", "2"}, {"uploadId", "a/b+c=d e"}},
       {},
       std::string(1000, 'x'),
       "",
       true},
      // CompleteMultipartUpload and AbortMultipartUpload.
      {"POST",
       "127.0.0.1:9000",
       "/bucket/k.ndjson",
       {{"uploadId", "2~x"}},
       {{"Content-Type", "application/xml"}},
       "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>",
       "",
       true},
      {"DELETE", "localhost:4568", "/bucket/k.ndjson", {{"uploadId", "2~x"}}, {}, "", "", true},
      // The generic (non-S3) signer too, with a header value to trim.
      {"GET",
       "example.amazonaws.com",
       "/",
       {{"Param2", "value2"}, {"Param1", "value 1"}},
       {{"My-Header", "  a   b  "}},
       "",
       "",
       false},
  };
  const std::string timestamp = "20240229T235959Z";
  const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1709251199));
  nlohmann::json input = nlohmann::json::array();
  std::vector<HeaderList> ours;
  for (const auto& c : cases) {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& [n, v] : c.headers) headers.push_back({n, v});
    input.push_back({{"method", c.method},
                     {"url", url_of(c)},
                     {"headers", headers},
                     {"body_hex", hex_of(c.body)},
                     {"region", c.s3 && c.host.find("eu-west-1") != std::string::npos ? "eu-west-1" : "us-east-1"},
                     {"service", c.s3 ? "s3" : "service"},
                     {"access_key", "AKIAEXAMPLE"},
                     {"secret_key", secret},
                     {"token", c.token},
                     {"timestamp", timestamp},
                     {"s3", c.s3}});
    SigningRequest r;
    r.method = c.method;
    r.canonical_uri = uri_encode(c.raw_path, true);
    r.query = c.query;
    r.headers = c.headers;
    r.headers.emplace_back("host", c.host);
    r.payload_sha256 = sha256_hex(c.body);
    if (c.s3) r.headers.emplace_back("x-amz-content-sha256", r.payload_sha256);
    const SigningScope scope{input.back()["region"].get<std::string>(), c.s3 ? "s3" : "service", when};
    HeaderList added = sign(r, {"AKIAEXAMPLE", secret, c.token}, scope);
    if (c.s3) added.insert(added.end() - 1, {"x-amz-content-sha256", r.payload_sha256});
    ours.push_back(added);
  }
  fixtures::TempDir dir("gb-sigv4");
  const fs::path in = dir.path() / "in.json";
  { std::ofstream(in) << input.dump(); }
  fixtures::SpawnOptions o;
  o.argv = {"/bin/sh", "-c",
            "/usr/bin/python3 " + (fs::path(GB_SOURCE_DIR) / "tests/unit/sinks/peers/botocore_sign.py").string() +
                " < " + in.string()};
  o.env = {"PATH=/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1"};
  const fixtures::Finished f = fixtures::run(o, dir.path(), std::chrono::seconds(60));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  const nlohmann::json theirs = nlohmann::json::parse(f.output);
  ASSERT_EQ(theirs.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    HeaderList botocore;
    for (const auto& h : theirs[i]) botocore.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    EXPECT_EQ(ours[i], botocore) << "case " << i << ": " << url_of(cases[i]);
  }
}

}  // namespace
}  // namespace gb::sinks::s3
