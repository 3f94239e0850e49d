#include "http/patience_transport.hpp"

#include "http/status.hpp"

namespace gb::http {

Result<Response> PatienceTransport::send(const Request& request, const BodySink* sink) {
  auto result = inner_.send(request, sink);
  const int status = result.ok() ? result->status : result.error().http_status;
  if (status != 0) {
    // An answer, even one whose body was then cut short, unless it says overloaded.
    if (is_transient_status(status)) {
      patience_.failed();
    } else {
      patience_.succeeded();
    }
  } else if (result.error().transient()) {
    patience_.failed();  // no answer: refused, reset, timed out
  }
  return result;
}

}  // namespace gb::http
