#pragma once
// A tiny libmicrohttpd server with exactly the misbehaviours the transport
// tests need, byte for byte (the simulator covers the API-level faults; this
// one pins down the wire: a declared Content-Length not met, an RST
// mid-body, gzip, slowness, TLS with a test certificate).
//
// Routes:
//   /ok                       200 "hello", ININ-Correlation-Id: corr-123, rate headers
//   /status?code=N[&retry=S]  N with a Genesys error body (code "test.code", message "went wrong")
//   /bytes?n=N                200, N bytes of a repeating pattern (pattern_bytes(N))
//   /gzip?n=N                 200, pattern_bytes(N) gzip-encoded (Content-Encoding: gzip);
//        [&members=M]         M gzip members of it, concatenated
//        [&cut=K]             only the first K bytes of the encoding (a whole HTTP response)
//        [&corrupt=1]         one byte in the middle of the encoding flipped
//        [&encoding=E]        labelled Content-Encoding: E instead
//   /accept-encoding          200, the request's Accept-Encoding header, or "-"
//   /truncated?n=N            200, Content-Length N, only N/2 bytes sent, then the connection closes
//   /reset?n=N                200, chunked, about N/2 bytes, then a TCP RST
//   /slow?ms=M                200 "late" after sleeping M ms
//   /echo                     200, body "<METHOD> <X-Test header> <request body>"
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

struct MHD_Daemon;

namespace gb::http::testing {

// The bytes /bytes?n=N and /gzip?n=N serve.
std::string pattern_bytes(std::size_t n);

// PEM of the self-signed certificate (SAN IP:127.0.0.1) a TLS server uses.
extern const char* const kTestCertPem;

class TestServer {
 public:
  // Binds 127.0.0.1 on a free port; throws on failure (a broken test machine).
  static std::unique_ptr<TestServer> start(bool tls = false);
  ~TestServer();

  std::uint16_t port() const { return port_; }
  std::string base_url() const;
  int connections_opened() const { return connections_.load(); }
  int requests_served() const { return requests_.load(); }

  // Used by the C callbacks.
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};

 private:
  TestServer() = default;
  MHD_Daemon* daemon_ = nullptr;
  std::uint16_t port_ = 0;
  bool tls_ = false;
};

}  // namespace gb::http::testing
