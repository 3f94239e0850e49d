#pragma once
// The simulator's view of one HTTP exchange, independent of libmicrohttpd:
// the routes turn an HttpRequest into a Reply; server.cpp does the wire.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gb::simulator::detail {

struct HttpRequest {
  std::string method;
  std::string path;                          // decoded, without the query
  std::map<std::string, std::string> query;  // decoded arguments (first of each name)
  std::string authorization;                 // Authorization header, or empty
  std::string content_type;
  std::string host;  // Host header, or empty
  std::string accept_encoding;
  std::string body;
  bool body_too_large = false;
  // Basic credentials already decoded by the server layer, if the header had them.
  bool has_basic = false;
  std::string basic_user;
  std::string basic_password;
};

enum class BodyFault { kNone, kReset, kTruncate };

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> body;  // nullptr = empty body
  std::string route;                        // stats key, e.g. "GET /api/v2/bulk/jobs/{jobId}"
  BodyFault body_fault = BodyFault::kNone;
  // When set: the body's gzip encoding, stored (cached chunks), asked for
  // only when the client accepts gzip. Unset: compressed as it is sent.
  std::function<std::shared_ptr<const std::string>()> gzip_body;
  std::chrono::milliseconds delay{0};  // slow-response fault: wait before answering
};

inline std::shared_ptr<const std::string> make_body(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

}  // namespace gb::simulator::detail
