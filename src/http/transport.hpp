#pragma once
// The HTTP seam. Cross-cutting behaviour (bearer token, rate budget, circuit
// breaker) is added by decorators of this one interface; retries are the
// job of resilience/retry_loop around whole calls.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "base/stop.hpp"

namespace gb::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header with this name.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

struct Request {
  std::string method = "GET";
  std::string url;  // absolute
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // whole-request limit; 0 = transport default
  // The caller's bounds: decorators that wait (the rate budget) never wait
  // past limits.deadline; the transfer stops at its next callback once
  // limits.cancel is requested (a kInterrupted Error). A transfer that has
  // started is not cut at the deadline: a chunk half received is worth nothing.
  CallLimits limits;
};

// Receives a 2xx body as it streams in. An error aborts the transfer and
// send() returns that error as it is (its kind decides whether the caller
// retries). A sink should not throw; if it does, the transfer is aborted and
// send() returns an internal error naming the exception.
using BodySink = std::function<Status(std::string_view bytes)>;

struct Response {
  int status = 0;
  Headers headers;
  std::string body;              // empty when a 2xx body went to a BodySink
  std::uint64_t body_bytes = 0;  // decoded bytes received, whether buffered or streamed
  std::string correlation_id;    // ININ-Correlation-Id, kept for diagnostics

  std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

// Thread-safe. send() returns a Response for ANY HTTP status (the caller
// classifies it with classify()); an Error only when no complete response
// arrived: connection failure, timeout, truncated or oversized body (all
// transient except oversize and aborts, which are permanent; kInterrupted
// when the process's stop or request.limits.cancel was requested).
// With a sink, a 2xx body is streamed to it and not kept; any other status
// keeps its (size-capped) body in Response::body.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<Response> send(const Request& request, const BodySink* sink = nullptr) = 0;
};

}  // namespace gb::http
