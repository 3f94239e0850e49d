#include "test_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "testing/gzip.hpp"

namespace gb::http::testing {
namespace {

constexpr const char* kTestKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPgJhyJeuDmNaeINz\n"
    "h91KLE6vvF2CKhJmD3fSfQkp7uehRANCAATGMHq8wDbXgm3lqnBpCv3+YDkqcwvf\n"
    "ozSdCLvQzVQrzZz0+f6Wo1HwUQBWk4tGfeaYk6cCkNGKkwCoW8AImTKw\n"
    "-----END PRIVATE KEY-----\n";

// Per-request state: the upload gathered across calls, and what a reader needs.
struct RequestState {
  std::string body;
  MHD_Connection* connection = nullptr;
  std::string payload;
  std::size_t cut_at = 0;
  bool reset = false;
};

std::size_t query_number(MHD_Connection* c, const char* name, std::size_t fallback) {
  const char* v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
  return v != nullptr ? static_cast<std::size_t>(std::stoull(v)) : fallback;
}

// Serves payload up to cut_at, then ends the connection badly.
ssize_t cut_reader(void* cls, uint64_t pos, char* buf, size_t max) {
  auto* s = static_cast<RequestState*>(cls);
  if (pos >= s->cut_at) {
    if (s->reset) {
      // SO_LINGER 0 turns the coming close() into an RST.
      const MHD_ConnectionInfo* info = MHD_get_connection_info(s->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (info != nullptr) {
        linger l{1, 0};
        setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  const std::size_t n = std::min<std::size_t>(max, s->cut_at - pos);
  std::memcpy(buf, s->payload.data() + pos, n);
  return static_cast<ssize_t>(n);
}

MHD_Result queue(MHD_Connection* c, unsigned status, std::string_view body,
                 std::initializer_list<std::pair<const char*, std::string>> headers = {}) {
  MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  for (const auto& [k, v] : headers) MHD_add_response_header(r, k, v.c_str());
  const MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

MHD_Result handle(void* cls, MHD_Connection* c, const char* url, const char* method, const char*, const char* upload,
                  size_t* upload_size, void** req_cls) {
  auto* state = static_cast<RequestState*>(*req_cls);
  if (state == nullptr) {
    *req_cls = state = new RequestState();
    state->connection = c;
    static_cast<TestServer*>(cls)->requests_.fetch_add(1);
    return MHD_YES;
  }
  if (*upload_size > 0) {
    state->body.append(upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  const std::string_view path(url);
  if (path == "/ok") {
    return queue(c, 200, "hello",
                 {{"ININ-Correlation-Id", "corr-123"},
                  {"inin-ratelimit-allowed", "300"},
                  {"inin-ratelimit-count", "295"},
                  {"inin-ratelimit-reset", "30"}});
  }
  if (path == "/status") {
    const auto code = static_cast<unsigned>(query_number(c, "code", 500));
    const std::string body =
        R"({"message":"went wrong","code":"test.code","status":)" + std::to_string(code) + R"(,"contextId":"ctx"})";
    const char* retry = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "retry");
    if (retry != nullptr) {
      return queue(c, code, body, {{"Retry-After", retry}, {"ININ-Correlation-Id", "corr-err"}});
    }
    return queue(c, code, body, {{"ININ-Correlation-Id", "corr-err"}});
  }
  if (path == "/bytes") return queue(c, 200, pattern_bytes(query_number(c, "n", 0)));
  if (path == "/gzip") {
    const std::string member = gzip(pattern_bytes(query_number(c, "n", 0)), Z_BEST_SPEED);
    std::string encoded;
    for (std::size_t m = query_number(c, "members", 1); m > 0; --m) encoded += member;
    encoded.resize(std::min(encoded.size(), query_number(c, "cut", encoded.size())));
    if (query_number(c, "corrupt", 0) != 0) encoded[encoded.size() / 2] ^= 0x55;
    const char* label = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "encoding");
    return queue(c, 200, encoded, {{"Content-Encoding", label != nullptr ? label : "gzip"}});
  }
  if (path == "/accept-encoding") {
    const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    return queue(c, 200, v != nullptr ? v : "-");
  }
  if (path == "/truncated" || path == "/reset") {
    const std::size_t n = query_number(c, "n", 1000);
    state->payload = pattern_bytes(n);
    state->cut_at = n / 2;
    state->reset = path == "/reset";
    // /truncated declares its full length; /reset is chunked (no length).
    MHD_Response* r =
        MHD_create_response_from_callback(state->reset ? MHD_SIZE_UNKNOWN : n, 4096, &cut_reader, state, nullptr);
    const MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
  }
  if (path == "/slow") {
    std::this_thread::sleep_for(std::chrono::milliseconds(query_number(c, "ms", 100)));
    return queue(c, 200, "late");
  }
  if (path == "/echo") {
    const char* x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test");
    return queue(c, 200, std::string(method) + " " + (x != nullptr ? x : "-") + " " + state->body);
  }
  return queue(c, 404, R"({"message":"no such route","code":"not.found"})");
}

void completed(void*, MHD_Connection*, void** req_cls, MHD_RequestTerminationCode) {
  delete static_cast<RequestState*>(*req_cls);
  *req_cls = nullptr;
}

void notify_connection(void* cls, MHD_Connection*, void**, MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) static_cast<TestServer*>(cls)->connections_.fetch_add(1);
}

}  // namespace

const char* const kTestCertPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnzCCAUagAwIBAgIUIYkAnEfddhtSbmy+kD7FjVtUMM4wCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRZ2VuZXN5cy1idWxrIHRlc3QwIBcNMjYxMTI4MjAxOTQxWhgP\n"
    "MjEyNjExMDQyMDE5NDFaMBwxGjAYBgNVBAMMEWdlbmVzeXMtYnVsayB0ZXN0MFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExjB6vMA214Jt5apwaQr9/mA5KnML36M0\n"
    "nQi70M1UK82c9Pn+lqNR8FEAVpOLRn3mmJOnApDRipMAqFvACJkysKNkMGIwHQYD\n"
    "VR0OBBYEFPADjqujGnJx8DSPumXKEoTLNHgPMB8GA1UdIwQYMBaAFPADjqujGnJx\n"
    "8DSPumXKEoTLNHgPMA8GA1UdEwEB/wQFMAMBAf8wDwYDVR0RBAgwBocEfwAAATAK\n"
    "BggqhkjOPQQDAgNHADBEAiBzeUCs2XZBknRHFadjR3NlMx1heII+syKavFk2jfff\n"
    "dQIgXyAX2BF8K9MdmXzBSNrLA0N/oqrKP9WyKDonpm4GxA4=\n"
    "-----END CERTIFICATE-----\n";

std::string pattern_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

std::unique_ptr<TestServer> TestServer::start(bool tls) {
  std::unique_ptr<TestServer> server(new TestServer());
  server->tls_ = tls;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
  if (tls) flags |= MHD_USE_TLS;
  if (tls) {
    server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &handle, server.get(), MHD_OPTION_SOCK_ADDR, &addr,
                                       MHD_OPTION_NOTIFY_COMPLETED, &completed, nullptr, MHD_OPTION_NOTIFY_CONNECTION,
                                       &notify_connection, server.get(), MHD_OPTION_HTTPS_MEM_KEY, kTestKeyPem,
                                       MHD_OPTION_HTTPS_MEM_CERT, kTestCertPem, MHD_OPTION_END);
  } else {
    server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &handle, server.get(), MHD_OPTION_SOCK_ADDR, &addr,
                                       MHD_OPTION_NOTIFY_COMPLETED, &completed, nullptr, MHD_OPTION_NOTIFY_CONNECTION,
                                       &notify_connection, server.get(), MHD_OPTION_END);
  }
  if (server->daemon_ == nullptr) throw std::runtime_error("cannot start the test HTTP server");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr || info->port == 0) throw std::runtime_error("test HTTP server has no port");
  server->port_ = info->port;
  return server;
}

TestServer::~TestServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string TestServer::base_url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

}  // namespace gb::http::testing
