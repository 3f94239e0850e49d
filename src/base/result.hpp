#pragma once
// Errors as values at every I/O edge. GCC 12 has no std::expected in C++20,
// so Result<T> is a small variant of a value and an Error.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gb {

enum class ErrorKind {
  kTransient,     // may succeed if tried again: 429, 502-504, resets, timeouts, truncation
  kPermanent,     // will never succeed as asked: 400, 403, 404, bad data, ...
  kUnauthorized,  // 401: the caller may refresh its token once, then it is permanent
  kInvalidInput,  // the user's input or configuration is wrong
  kInternal,      // a local failure: disk, database, a bug
  kInterrupted,   // the process was asked to stop (Ctrl-C, SIGTERM): not retried
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  int http_status = 0;                                   // 0 when no HTTP response was received
  std::optional<std::chrono::milliseconds> retry_after;  // server's wish, if it said one
  std::string correlation_id;                            // ININ-Correlation-Id, if any
  // When we gave up (an outage outlasting --max-outage), http_status stays 0
  // (the decision is ours) and this keeps the server's last answer, for
  // diagnostics such as a dead letter.
  int last_http_status = 0;
  // The request never left this process (no connection, no token, the breaker
  // refused it): the server cannot have acted on it, so even a call that is
  // not idempotent (creating a job) may be tried again.
  bool not_sent = false;

  bool transient() const { return kind == ErrorKind::kTransient; }
  // One line for humans: "permanent: HTTP 404: job not found (correlation abc)".
  std::string describe() const;
};

inline Error make_error(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}
inline Error transient_error(std::string message) {
  return make_error(ErrorKind::kTransient, std::move(message));
}
inline Error permanent_error(std::string message) {
  return make_error(ErrorKind::kPermanent, std::move(message));
}
inline Error invalid_input(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}
inline Error internal_error(std::string message) {
  return make_error(ErrorKind::kInternal, std::move(message));
}
inline Error interrupted_error(std::string message) {
  return make_error(ErrorKind::kInterrupted, std::move(message));
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace gb
