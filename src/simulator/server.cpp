// The wire side of the simulator: libmicrohttpd (ADR 0002) in front of
// detail::Api. It collects a bounded request, asks Api for a Reply and turns
// it into a response: zero-copy from a shared body (or its stored gzip
// encoding), streamed gzip, or a body cut short (truncation, or a TCP reset
// via SO_LINGER {1, 0}).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "base/log.hpp"
#include "simulator/detail/api.hpp"
#include "simulator/detail/gzip_stream.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator {
namespace {

constexpr std::size_t kMaxBody = 1 << 20;                           // request bodies are small queries
constexpr std::size_t kConnectionMemory = std::size_t{128} * 1024;  // bounds request line + headers
constexpr std::size_t kReaderBlock = std::size_t{256} * 1024;

struct PendingRequest {
  std::string body;
  bool too_large = false;
};

struct BodyReader {
  detail::Body body;
  std::unique_ptr<detail::GzipStream> gzip;
  detail::BodyFault fault = detail::BodyFault::kNone;
  std::size_t cut = 0;  // with a fault: body bytes served before failing
  int fd = -1;
};

ssize_t fail_body(BodyReader& r) {
  if (r.fault == detail::BodyFault::kReset && r.fd >= 0) {
    // Linger {on, 0 s}: close() sends RST instead of FIN.
    linger l{1, 0};
    setsockopt(r.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  return MHD_CONTENT_READER_END_WITH_ERROR;
}

ssize_t read_body(void* cls, std::uint64_t pos, char* buf, std::size_t max) {
  auto& r = *static_cast<BodyReader*>(cls);
  const bool faulty = r.fault != detail::BodyFault::kNone;
  if (r.gzip) {  // never faulty: a faulty gzip body is sent whole and cut
    const long n = r.gzip->read(buf, max);
    if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
  }
  const std::size_t end = faulty ? r.cut : r.body->size();
  if (pos >= end) return faulty ? fail_body(r) : MHD_CONTENT_READER_END_OF_STREAM;
  const std::size_t n = std::min<std::size_t>(max, end - pos);
  std::memcpy(buf, r.body->data() + pos, n);
  return static_cast<ssize_t>(n);
}

void free_reader(void* cls) {
  delete static_cast<BodyReader*>(cls);
}
void free_body(void* cls) {
  delete static_cast<detail::Body*>(cls);
}

MHD_Result collect_arg(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto& query = *static_cast<std::map<std::string, std::string>*>(cls);
  if (key && query.size() < 32) query.emplace(key, value ? value : "");
  return MHD_YES;
}

std::string header(MHD_Connection* c, const char* name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v ? std::string(v) : std::string();
}

// True when Accept-Encoding lists gzip with a q above 0.
bool accepts_gzip(std::string_view accept) {
  std::size_t i = 0;
  while (i <= accept.size()) {
    auto comma = accept.find(',', i);
    if (comma == std::string_view::npos) comma = accept.size();
    auto item = accept.substr(i, comma - i);
    i = comma + 1;
    auto semi = item.find(';');
    auto name = item.substr(0, semi);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "gzip" && name != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    auto params = item.substr(semi + 1);
    auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0.0;
  }
  return false;
}

void log_mhd(void*, const char* fmt, va_list ap) {
  char line[512];
  std::vsnprintf(line, sizeof line, fmt, ap);
  log::debug("simulator http").field("detail", std::string_view(line)).emit();
}

}  // namespace

struct Server::Impl {
  Settings settings;
  std::unique_ptr<detail::Api> api;
  MHD_Daemon* daemon = nullptr;
  std::uint16_t port = 0;
  std::string base_url;

  ~Impl() {
    if (daemon) MHD_stop_daemon(daemon);
  }

  static MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                               const char* upload_data, std::size_t* upload_size, void** con_cls) {
    auto& self = *static_cast<Impl*>(cls);
    if (*con_cls == nullptr) {
      *con_cls = new PendingRequest;
      return MHD_YES;
    }
    auto& pending = *static_cast<PendingRequest*>(*con_cls);
    if (*upload_size != 0) {
      // Keep reading an oversized body (so the answer reaches the client) but not storing it.
      if (pending.body.size() + *upload_size > kMaxBody) {
        pending.too_large = true;
      } else {
        pending.body.append(upload_data, *upload_size);
      }
      *upload_size = 0;
      return MHD_YES;
    }
    detail::HttpRequest req;
    req.method = method;
    req.path = url;
    req.body = std::move(pending.body);
    req.body_too_large = pending.too_large;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &collect_arg, &req.query);
    req.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    req.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.host = header(c, MHD_HTTP_HEADER_HOST);
    req.accept_encoding = header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (req.authorization.starts_with("Basic ") || req.authorization.starts_with("basic ")) {
      char* password = nullptr;
      char* user = MHD_basic_auth_get_username_password(c, &password);
      if (user && password) {
        req.has_basic = true;
        req.basic_user = user;
        req.basic_password = password;
      }
      if (user) MHD_free(user);
      if (password) MHD_free(password);
    }
    detail::Reply reply = self.api->handle(req);
    if (reply.delay.count() > 0) system_sleeper().sleep_for(reply.delay);
    return self.send(c, reply, accepts_gzip(req.accept_encoding));
  }

  MHD_Result send(MHD_Connection* c, detail::Reply& reply, bool gzip) {
    MHD_Response* response = nullptr;
    const bool has_body = reply.body && !reply.body->empty();
    const bool faulty = reply.body_fault != detail::BodyFault::kNone;
    // What goes on the wire: the body itself, its stored gzip encoding (a
    // cached chunk, served as a CDN serves it), or a gzip stream made as it
    // is sent (small API answers, pages).
    detail::Body wire = reply.body;
    bool stream_gzip = false;
    if (has_body && gzip) {
      if (reply.gzip_body) {
        wire = reply.gzip_body();
      } else if (faulty) {
        // libmicrohttpd 0.9.75 does not close a chunked response whose reader
        // fails (the client just stalls), so a faulty gzip body is compressed
        // whole first and cut like a plain one, with its size declared.
        wire = detail::make_body(detail::gzip_whole(reply.body, 1));
      } else {
        stream_gzip = true;
      }
      if (!wire || wire->empty()) return MHD_NO;  // zlib failed: out of memory
    }
    if (!has_body) {
      response = MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT);
    } else if (stream_gzip || faulty) {
      auto reader = std::make_unique<BodyReader>();
      reader->body = wire;
      reader->fault = reply.body_fault;
      reader->cut = wire->size() / 2;
      if (faulty) {
        const auto* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        reader->fd = info ? info->connect_fd : -1;
      }
      if (stream_gzip) reader->gzip = std::make_unique<detail::GzipStream>(reply.body);
      const std::uint64_t size = stream_gzip ? MHD_SIZE_UNKNOWN : wire->size();
      response = MHD_create_response_from_callback(size, kReaderBlock, &read_body, reader.get(), &free_reader);
      if (response) static_cast<void>(reader.release());  // the response owns it now
    } else {
      // Zero-copy: the response holds a reference to the shared body until it is sent.
      // MHD takes a non-const pointer but only reads a response buffer.
      auto* holder = new detail::Body(wire);
      response = MHD_create_response_from_buffer_with_free_callback_cls(wire->size(), const_cast<char*>(wire->data()),
                                                                        &free_body, holder);
      if (!response) delete holder;
    }
    if (!response) return MHD_NO;
    for (const auto& [k, v] : reply.headers) MHD_add_response_header(response, k.c_str(), v.c_str());
    if (has_body) {
      MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
      if (gzip) MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    const MHD_Result rc = MHD_queue_response(c, static_cast<unsigned>(reply.status), response);
    MHD_destroy_response(response);
    return rc;
  }

  static void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    delete static_cast<PendingRequest*>(*con_cls);
    *con_cls = nullptr;
  }
};

Result<std::unique_ptr<Server>> Server::start(const Settings& settings) {
  auto impl = std::make_unique<Impl>();
  impl->settings = settings;
  try {
    impl->api = std::make_unique<detail::Api>(settings);
  } catch (const std::invalid_argument& e) {
    return invalid_input(std::string("simulator settings: ") + e.what());
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(settings.port);
  if (inet_pton(AF_INET, settings.host.c_str(), &addr.sin_addr) != 1) {
    return invalid_input("simulator host must be an IPv4 address, got '" + settings.host + "'");
  }
  const unsigned threads = std::max(1u, settings.threads);
  // MHD_USE_TURBO also makes MHD close without shutdown(SHUT_WR) first, so a
  // reset fault (SO_LINGER {1, 0}) reaches the client as RST, not FIN.
  impl->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG, settings.port, nullptr,
      nullptr, &Impl::on_request, impl.get(), MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr),
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 2048u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      kConnectionMemory, MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &log_mhd, nullptr, MHD_OPTION_END);
  if (!impl->daemon) {
    return internal_error(fmt::format("simulator: cannot listen on {}:{}", settings.host, settings.port));
  }
  const auto* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl->port = info ? info->port : settings.port;
  impl->base_url = fmt::format("http://{}:{}", settings.host, impl->port);
  impl->api->set_base_url(impl->base_url);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

std::uint16_t Server::port() const {
  return impl_->port;
}
std::string Server::base_url() const {
  return impl_->base_url;
}
std::vector<JobSummary> Server::jobs() const {
  return impl_->api->jobs();
}

std::vector<std::string> Server::expected_keys(const std::string& job_id) const {
  auto job = impl_->api->find_job(job_id);
  std::vector<std::string> keys;
  if (!job) return keys;
  keys.reserve(job->data.records);
  for (std::uint64_t i = 0; i < job->data.records; ++i) keys.push_back(record_key(job->data, i));
  return keys;
}

Result<DataParams> Server::data_params(const std::string& job_id) const {
  auto job = impl_->api->find_job(job_id);
  if (!job) return invalid_input("unknown job " + job_id);
  return job->data;
}

std::string Server::stats_json() const {
  return impl_->api->stats_json();
}
void Server::revoke_tokens() {
  impl_->api->revoke_tokens();
}
void Server::start_outage(std::chrono::milliseconds duration) {
  impl_->api->start_outage(duration);
}

}  // namespace gb::simulator
