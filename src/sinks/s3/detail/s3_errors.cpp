#include "sinks/s3/detail/s3_errors.hpp"

#include <fmt/format.h>

namespace gb::sinks::s3::detail {
namespace {

// S3 error codes that may succeed when tried again, whatever the status.
bool transient_code(std::string_view code) {
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "RequestTimeTooSkewed" || code == "OperationAborted" || code == "Throttling" ||
         code == "ThrottlingException" || code == "RequestLimitExceeded" || code == "TooManyRequests";
}

// A message from the server, shortened and on one line.
std::string one_line(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (const char c : s.substr(0, max)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (s.size() > max) out += "...";
  return out;
}

std::string default_code(long status) {
  switch (status) {
    case 400: return "BadRequest";
    case 403: return "AccessDenied";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "";
  }
}

}  // namespace

std::string xml_value(std::string_view xml, std::string_view tag) {
  const std::string open = fmt::format("<{}>", tag);
  const std::string close = fmt::format("</{}>", tag);
  const std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) return {};
  const std::size_t from = begin + open.size();
  const std::size_t end = xml.find(close, from);
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(from, end - from));
}

Error s3_http_error(long status, std::string_view body, std::string_view what) {
  std::string code = xml_value(body, "Code");
  const std::string message = xml_value(body, "Message");
  if (code.empty()) code = default_code(status);
  const bool transient = status >= 500 || status == 429 || status == 408 || transient_code(code);
  Error e = make_error(transient ? ErrorKind::kTransient : ErrorKind::kPermanent,
                       fmt::format("S3 {}: HTTP {}{}{}{}{}", what, status, code.empty() ? "" : " ", code,
                                   message.empty() ? "" : ": ", one_line(message)));
  e.http_status = static_cast<int>(status);
  return e;
}

Error s3_error_in_ok_body(std::string_view body, std::string_view what) {
  const std::string code = xml_value(body, "Code");
  const std::string message = xml_value(body, "Message");
  // S3 documents these in-body errors as "retry the request" for 5xx-like codes.
  const bool transient = transient_code(code) || code.empty();
  return make_error(transient ? ErrorKind::kTransient : ErrorKind::kPermanent,
                    fmt::format("S3 {}: error in a 200 answer: {}{}{}", what, code.empty() ? "unknown" : code,
                                message.empty() ? "" : ": ", one_line(message)));
}

Error curl_failure(CURLcode code, std::string_view curl_message, std::string_view what) {
  ErrorKind kind = ErrorKind::kTransient;
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      // Configuration: trying again cannot help.
      kind = ErrorKind::kPermanent;
      break;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_READ_ERROR:  // our spool file failed
    case CURLE_BAD_FUNCTION_ARGUMENT: kind = ErrorKind::kInternal; break;
    default:
      // Name resolution, connection refused or reset, timeouts, a cut
      // transfer, TLS handshake hiccups: the network, which may recover.
      kind = ErrorKind::kTransient;
      break;
  }
  Error e = make_error(kind, fmt::format("S3 {}: {}{}{}", what, curl_easy_strerror(code),
                                         curl_message.empty() ? "" : ": ", one_line(curl_message)));
  e.not_sent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
  return e;
}

}  // namespace gb::sinks::s3::detail
