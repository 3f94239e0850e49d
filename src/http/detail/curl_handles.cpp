#include "http/detail/curl_handles.hpp"

#include <fmt/format.h>

#include <mutex>
#include <stdexcept>

namespace gb::http::detail {

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A failure here means the process cannot do HTTP at all: a start-up bug.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

Error error_from_curl(CURLcode code, std::string_view detail, std::string_view what) {
  ErrorKind kind = ErrorKind::kPermanent;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:  // declared Content-Length not met: truncated body
    case CURLE_RECV_ERROR:    // reset mid-transfer
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:     // handshake cut short; verification failures have their own codes
    case CURLE_BAD_CONTENT_ENCODING:  // a compressed stream cut short
    case CURLE_AGAIN: kind = ErrorKind::kTransient; break;
    case CURLE_OUT_OF_MEMORY: kind = ErrorKind::kInternal; break;
    default: break;
  }
  const std::string_view text = detail.empty() ? std::string_view(curl_easy_strerror(code)) : detail;
  Error error = make_error(kind, fmt::format("{}: {} (curl {})", what, text, static_cast<int>(code)));
  // No connection was made, so no byte of the request reached the server.
  error.not_sent =
      code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT;
  return error;
}

}  // namespace gb::http::detail
