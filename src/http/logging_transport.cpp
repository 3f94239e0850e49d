#include "http/logging_transport.hpp"

#include "base/log.hpp"
#include "http/url.hpp"

namespace gb::http {

Result<Response> LoggingTransport::send(const Request& request, const BodySink* sink) {
  const SteadyTime start = clock_.now();
  auto result = inner_.send(request, sink);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start).count();
  auto url = parse_url(request.url);
  auto event = log::debug("http request");
  event.field("method", request.method).field("path", url.ok() ? url->path : std::string("?"));
  if (result.ok()) {
    event.field("status", result->status)
        .field("bytes", static_cast<std::int64_t>(result->body_bytes))
        .field("correlation_id", result->correlation_id);
  } else {
    event.field("status", result.error().http_status)
        .field("error", result.error().message)
        .field("correlation_id", result.error().correlation_id);
  }
  event.field("duration_ms", static_cast<std::int64_t>(ms)).emit();
  return result;
}

}  // namespace gb::http
