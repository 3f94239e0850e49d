#include "http/status.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace gb::http {
namespace {

// Error bodies are small; anything past this is not worth parsing for a message.
constexpr std::size_t kMaxErrorBodyParsed = std::size_t{64} * 1024;
// Keeps one API-provided string from flooding an error line.
constexpr std::size_t kMaxFieldChars = 300;
// A longer Retry-After is taken as this long: far beyond any run's patience.
constexpr std::int64_t kMaxRetryAfterSeconds = std::int64_t{7} * 24 * 3600;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// delay-seconds (RFC 9110 §10.2.3): one or more digits, nothing else; a wait
// beyond kMaxRetryAfterSeconds is that long. Negative, empty, fractional or
// other text: nullopt (the header is then ignored).
std::optional<std::int64_t> parse_seconds(std::string_view text) {
  text = trim(text);
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && value > kMaxRetryAfterSeconds))
    return kMaxRetryAfterSeconds;
  if (ec != std::errc()) return std::nullopt;
  return value;
}

// Parses an HTTP-date with curl's own date parser (RFC 7231 forms);
// -1 when it is not a date.
std::int64_t parse_http_date(std::string_view text) {
  const std::string copy(trim(text));
  return static_cast<std::int64_t>(curl_getdate(copy.c_str(), nullptr));
}

// Printable, bounded copy of an API-provided string.
std::string clean(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxFieldChars)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (s.size() > kMaxFieldChars) out += "...";
  return out;
}

// Unordered lookup: fields may come in any order.
std::string field(const simdjson::dom::object& obj, const char* key) {
  std::string_view value;
  if (obj[key].get_string().get(value) == simdjson::SUCCESS) return clean(value);
  return {};
}

// "code: message" from a Genesys error body, or "error: description" from an
// OAuth one; empty when the body is not such JSON. The DOM parser checks the
// whole body before any lookup: on-demand lookups after a syntax error
// half-way through read through a null pointer in simdjson 3.0.
std::string api_error_text(std::string_view body) {
  if (body.empty() || body.size() > kMaxErrorBodyParsed) return {};
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body.data(), body.size()).get(obj) != simdjson::SUCCESS) return {};
  std::string code = field(obj, "code");
  std::string message = field(obj, "message");
  if (code.empty() && message.empty()) {
    code = field(obj, "error");
    message = field(obj, "description");
  }
  if (code.empty()) return message;
  if (message.empty()) return code;
  return code + ": " + message;
}

}  // namespace

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

bool is_success(int status) {
  return status >= 200 && status < 300;
}

bool is_transient_status(int status) {
  return status == 408 || status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::milliseconds> retry_after(const Response& response,
                                                     std::chrono::system_clock::time_point now) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  if (auto value = response.header("Retry-After")) {
    if (auto secs = parse_seconds(*value)) return milliseconds(seconds(*secs));
    const std::int64_t when = parse_http_date(*value);
    if (when >= 0) {
      // Measured against the server's own Date when it sent one, so clock skew
      // between us and the server does not matter.
      std::int64_t reference = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
      if (auto date = response.header("Date")) {
        const std::int64_t server_now = parse_http_date(*date);
        if (server_now >= 0) reference = server_now;
      }
      return milliseconds(seconds(std::clamp<std::int64_t>(when - reference, 0, kMaxRetryAfterSeconds)));
    }
    // Present but invalid: ignored (RFC 9110), so the caller's backoff applies
    // rather than the rate window's reset, which says nothing about this call.
    return std::nullopt;
  }
  if (response.status == 429) {
    if (auto value = response.header("inin-ratelimit-reset")) {
      if (auto secs = parse_seconds(*value)) return milliseconds(seconds(*secs));
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> retry_after(const Response& response) {
  return retry_after(response, std::chrono::system_clock::now());
}

Error error_from_response(const Response& response, std::string_view what) {
  Error error;
  error.http_status = response.status;
  error.correlation_id = response.correlation_id;
  if (is_transient_status(response.status)) {
    error.kind = ErrorKind::kTransient;
    error.retry_after = retry_after(response);
  } else if (response.status == 401) {
    error.kind = ErrorKind::kUnauthorized;
  } else {
    error.kind = ErrorKind::kPermanent;
  }
  error.message = std::string(what);
  if (const std::string detail = api_error_text(response.body); !detail.empty()) {
    error.message += error.message.empty() ? detail : ": " + detail;
  } else if (error.message.empty()) {
    error.message = fmt::format("HTTP {}", response.status);
  }
  return error;
}

}  // namespace gb::http
