#include "base/result.hpp"

#include <fmt/format.h>

namespace gb {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTransient: return "transient";
    case ErrorKind::kPermanent: return "permanent";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kInternal: return "internal";
    case ErrorKind::kInterrupted: return "interrupted";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out = to_string(kind);
  if (http_status != 0) out += fmt::format(": HTTP {}", http_status);
  out += ": " + message;
  if (!correlation_id.empty()) out += fmt::format(" (correlation {})", correlation_id);
  return out;
}

}  // namespace gb
