#include "http/curl_transport.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <stdexcept>

#include "base/stop.hpp"
#include "http/detail/curl_handles.hpp"
#include "http/detail/gzip_inflater.hpp"
#include "http/status.hpp"

namespace gb::http {
namespace {

// Bounds on what a server may send us besides the body.
constexpr std::size_t kMaxHeaders = 200;
constexpr std::size_t kMaxHeaderBytes = std::size_t{256} * 1024;

// Everything one transfer's callbacks need; lives on send()'s stack.
struct Transfer {
  const CurlSettings* settings = nullptr;
  const BodySink* sink = nullptr;
  const StopSignal* cancel = nullptr;  // the caller's (Request::limits.cancel)
  Response response;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  bool body_too_large = false;
  std::optional<Error> sink_error;  // why the sink stopped the transfer
  // Content-Encoding: gzip is decoded here, not by curl (ADR 0007); decided
  // at the first body byte of each response.
  bool encoding_known = false;
  std::unique_ptr<detail::GzipInflater> inflater;
  std::optional<Error> decode_error;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Called once per header line, for every response curl reads (interim 1xx
// ones included): a status line starts a fresh set of headers.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();
    t->header_bytes = 0;
    t->encoding_known = false;
    t->inflater.reset();
    const auto space = line.find(' ');
    int status = 0;
    if (space != std::string_view::npos && line.size() >= space + 4) {
      std::from_chars(line.data() + space + 1, line.data() + space + 4, status);
    }
    t->response.status = status;
    return n;
  }
  t->header_bytes += n;
  if (t->header_bytes > kMaxHeaderBytes || t->response.headers.size() >= kMaxHeaders) {
    t->headers_too_large = true;
    return 0;  // aborts the transfer
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;  // blank line ending the block, or junk
  t->response.headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  return n;
}

// Takes decoded body bytes: to the sink (a 2xx with one) or the buffer,
// both capped on decoded size so a decompression bomb stops at the cap.
bool deliver(Transfer* t, std::string_view bytes) {
  const size_t n = bytes.size();
  t->response.body_bytes += n;
  if (t->sink != nullptr && is_success(t->response.status)) {
    if (t->response.body_bytes > t->settings->max_streamed_body_bytes) {
      t->body_too_large = true;
      return false;
    }
    // Nothing may unwind through curl's C frames: an exception becomes an error.
    try {
      Status accepted = (*t->sink)(bytes);
      if (accepted.ok()) return true;
      t->sink_error = std::move(accepted).error();
    } catch (const std::exception& e) {
      t->sink_error = internal_error(std::string("the body receiver failed: ") + e.what());
    } catch (...) {
      t->sink_error = internal_error("the body receiver failed with an unknown exception");
    }
    return false;
  }
  if (t->response.body_bytes > t->settings->max_buffered_body_bytes) {
    t->body_too_large = true;
    return false;
  }
  t->response.body.append(bytes);
  return true;
}

// Content-coding names are case-insensitive (RFC 9110 §8.4.1); `lower` is lower case.
bool coding_is(std::string_view coding, std::string_view lower) {
  return coding.size() == lower.size() && std::equal(coding.begin(), coding.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Chooses how this response's body is decoded: gzip only when the server
// said so; no Content-Encoding (or identity) passes through; anything else
// was not asked for and cannot be read.
bool choose_decoding(Transfer* t) {
  t->encoding_known = true;
  const auto encoding = t->response.header("Content-Encoding");
  if (!encoding || encoding->empty() || coding_is(*encoding, "identity")) return true;
  if (coding_is(*encoding, "gzip") || coding_is(*encoding, "x-gzip")) {
    t->inflater = std::make_unique<detail::GzipInflater>();
    return true;
  }
  t->decode_error = permanent_error(fmt::format("unsupported Content-Encoding '{}'", encoding->substr(0, 64)));
  return false;
}

// True once the caller cancelled this transfer or the process is stopping.
bool stopping(const Transfer* t) {
  return process_stop().requested() || (t->cancel != nullptr && t->cancel->requested());
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  // A cancelled download stops here, before its sink sees more bytes.
  if (t->cancel != nullptr && t->cancel->requested()) return 0;
  if (!t->encoding_known && !choose_decoding(t)) return 0;
  if (!t->inflater) return deliver(t, std::string_view(data, n)) ? n : 0;
  auto status =
      t->inflater->write(std::string_view(data, n), [t](std::string_view block) { return deliver(t, block); });
  if (!status.ok()) {
    t->decode_error = status.error();
    return 0;
  }
  return t->body_too_large || t->sink_error ? 0 : n;
}

// curl calls this at least once a second, even while a transfer is idle or
// connecting: a nonzero return aborts it, so Ctrl-C (or the caller's cancel)
// ends a download at once.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return stopping(static_cast<const Transfer*>(user)) ? 1 : 0;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// The URL without its query, for error messages (cursors are long and useless there).
std::string url_for_message(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

// curl_slist_append returns the new head, or nullptr leaving the list as it was.
bool append(detail::SlistHandle& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (grown == nullptr) return false;
  (void)list.release();  // `grown` owns the old nodes now
  list.reset(grown);
  return true;
}

template <class T>
void set(CURL* h, CURLoption option, T value) {
  // Setting an option only fails for an unknown option or out of memory:
  // both are bugs or a broken process, not a per-request outcome.
  if (curl_easy_setopt(h, option, value) != CURLE_OK) {
    throw std::runtime_error(fmt::format("curl_easy_setopt({}) failed", static_cast<int>(option)));
  }
}

}  // namespace

struct CurlTransport::Handle {
  detail::EasyHandle easy;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// The caches all handles share. curl calls lock/unlock around each use, from
// whichever thread is transferring; one mutex per kind of shared data.
struct CurlTransport::Share {
  detail::ShareHandle handle;
  std::mutex mutexes[CURL_LOCK_DATA_LAST];

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->mutexes[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) { static_cast<Share*>(user)->mutexes[data].unlock(); }
};

CurlTransport::CurlTransport(CurlSettings settings)
    : settings_(std::move(settings)), share_(std::make_unique<Share>()) {
  detail::ensure_curl_global_init();
  share_->handle.reset(curl_share_init());
  CURLSH* sh = share_->handle.get();
  if (sh == nullptr || curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, &Share::lock) != CURLSHE_OK ||
      curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, &Share::unlock) != CURLSHE_OK ||
      curl_share_setopt(sh, CURLSHOPT_USERDATA, share_.get()) != CURLSHE_OK ||
      curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
      curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
    throw std::runtime_error("cannot set up the curl share handle");
  }
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Handle> CurlTransport::borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->easy.reset(curl_easy_init());
  if (!handle->easy) throw std::runtime_error("curl_easy_init failed");
  return handle;
}

void CurlTransport::give_back(std::unique_ptr<Handle> handle) {
  // Reset drops this request's options but keeps live connections and the
  // DNS cache, which is the point of pooling.
  curl_easy_reset(handle->easy.get());
  std::lock_guard lock(mutex_);
  if (idle_.size() < settings_.max_idle_handles) idle_.push_back(std::move(handle));
}

Result<Response> CurlTransport::send(const Request& request, const BodySink* sink) {
  const std::string what = fmt::format("{} {}", request.method, url_for_message(request.url));
  if (has_line_break(request.method) || has_line_break(request.url))
    return invalid_input(what + ": line break in request");
  detail::SlistHandle headers;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value) || name.find(':') != std::string::npos) {
      return invalid_input(what + ": malformed request header");
    }
    std::string line = name;
    line += value.empty() ? ";" : ": ";  // "X;" is how curl sends an empty header
    line += value;
    if (!append(headers, line.c_str())) return internal_error(what + ": out of memory");
  }
  if (settings_.compression && !find_header(request.headers, "Accept-Encoding")) {
    if (!append(headers, "Accept-Encoding: gzip")) return internal_error(what + ": out of memory");
  }
  // No "Expect: 100-continue" round trip for bodies.
  if (!append(headers, "Expect:")) return internal_error(what + ": out of memory");

  auto handle = borrow();
  CURL* h = handle->easy.get();
  Transfer transfer;
  transfer.settings = &settings_;
  transfer.sink = sink;
  transfer.cancel = request.limits.cancel;
  handle->error_buffer[0] = '\0';

  set(h, CURLOPT_URL, request.url.c_str());
  set(h, CURLOPT_PROTOCOLS_STR, "http,https");
  set(h, CURLOPT_FOLLOWLOCATION, 0L);
  set(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  set(h, CURLOPT_SHARE, share_->handle.get());
  set(h, CURLOPT_ERRORBUFFER, handle->error_buffer);
  set(h, CURLOPT_SSL_VERIFYPEER, 1L);
  set(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings_.ca_file.empty()) set(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
  // We ask for gzip ourselves and inflate with ISA-L in on_body (ADR 0007);
  // curl passes the bytes through as they came. No compression: no header.
  set(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  set(h, CURLOPT_USERAGENT, settings_.user_agent.c_str());
  set(h, CURLOPT_TCP_KEEPALIVE, 1L);
  set(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout.count()));
  set(h, CURLOPT_LOW_SPEED_LIMIT, settings_.low_speed_limit);
  set(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings_.low_speed_time.count()));
  const auto timeout = request.timeout.count() > 0 ? request.timeout : settings_.default_timeout;
  set(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  set(h, CURLOPT_HTTPHEADER, headers.get());
  set(h, CURLOPT_HEADERFUNCTION, &on_header);
  set(h, CURLOPT_HEADERDATA, &transfer);
  set(h, CURLOPT_WRITEFUNCTION, &on_body);
  set(h, CURLOPT_WRITEDATA, &transfer);
  set(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  set(h, CURLOPT_XFERINFODATA, &transfer);
  set(h, CURLOPT_NOPROGRESS, 0L);

  if (request.method == "GET") {
    set(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    set(h, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST") set(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "POST" || !request.body.empty()) {
      // The body outlives perform(): no copy needed.
      set(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set(h, CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }

  const CURLcode code = curl_easy_perform(h);
  const std::string curl_detail = handle->error_buffer;
  give_back(std::move(handle));

  Response& response = transfer.response;
  if (auto id = response.header("ININ-Correlation-Id")) response.correlation_id = std::string(*id);

  if (code != CURLE_OK) {
    Error error;
    if ((code == CURLE_ABORTED_BY_CALLBACK || code == CURLE_WRITE_ERROR) && stopping(&transfer) &&
        !transfer.sink_error) {
      error = interrupted_error(what + ": interrupted");
    } else if (transfer.body_too_large) {
      const auto cap = sink != nullptr && is_success(response.status) ? settings_.max_streamed_body_bytes
                                                                      : settings_.max_buffered_body_bytes;
      error = permanent_error(fmt::format("{}: response too large (over {} bytes)", what, cap));
    } else if (transfer.headers_too_large) {
      error = permanent_error(what + ": response headers too large");
    } else if (transfer.sink_error) {
      error = std::move(*transfer.sink_error);
    } else if (transfer.decode_error) {
      error = std::move(*transfer.decode_error);
      error.message = fmt::format("{}: {} after {} body bytes", what, error.message, response.body_bytes);
    } else {
      error = detail::error_from_curl(code, curl_detail, what);
      if (code == CURLE_PARTIAL_FILE || (response.status != 0 && error.transient())) {
        error.message += fmt::format(" after {} body bytes: truncated response", response.body_bytes);
      }
    }
    error.http_status = response.status;
    error.correlation_id = response.correlation_id;
    return error;
  }
  if (transfer.inflater) {
    if (auto done = transfer.inflater->finish(); !done.ok()) {
      Error error = done.error();
      error.message = fmt::format("{}: {} after {} body bytes", what, error.message, response.body_bytes);
      error.http_status = response.status;
      error.correlation_id = response.correlation_id;
      return error;
    }
  }
  if (sink != nullptr && is_success(response.status)) response.body.clear();
  return std::move(response);
}

}  // namespace gb::http
