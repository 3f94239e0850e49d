#pragma once
// The real Transport: libcurl, with connection reuse, TLS always verified,
// gzip, and hard caps on what a response may cost us.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.hpp"

namespace gb::http {

struct CurlSettings {
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than low_speed_limit bytes/s for low_speed_time is
  // abandoned (transient): catches stalls without limiting big downloads.
  long low_speed_limit = 1024;
  std::chrono::seconds low_speed_time{60};
  // Whole-request limit when the Request does not set one.
  std::chrono::milliseconds default_timeout{std::chrono::minutes(30)};
  // Caps on decoded bytes (so a gzip bomb is caught too): a buffered body
  // beyond max_buffered_body_bytes, or a streamed one beyond
  // max_streamed_body_bytes, fails permanently with "response too large".
  std::uint64_t max_buffered_body_bytes = 64ull << 20;
  std::uint64_t max_streamed_body_bytes = 64ull << 30;
  std::string user_agent = "genesys-bulk/0.1";
  // Extra CA bundle to trust (e.g. a test CA). Verification itself cannot be
  // turned off: there is deliberately no setting for it.
  std::string ca_file;
  std::size_t max_idle_handles = 16;  // easy handles (and their connections) kept for reuse
  // Ask for gzip bodies (Accept-Encoding: gzip), inflated by ISA-L as they
  // stream in (ADR 0007). Over loopback or a fast LAN compression costs more
  // CPU than it saves (docs/performance.md). A gzip body is decoded whenever
  // the server labels it so; size caps count decoded bytes.
  bool compression = true;
};

// Thread-safe: each send() borrows an easy handle from a mutex-guarded pool;
// a handle keeps its open connections, so calls to the same host reuse them,
// and all handles share one DNS cache and one TLS session cache (a new
// connection resumes a TLS session instead of a full handshake).
// Follows no redirects; speaks only http and https.
class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlSettings settings = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<Response> send(const Request& request, const BodySink* sink = nullptr) override;

  const CurlSettings& settings() const { return settings_; }

 private:
  struct Handle;
  struct Share;
  std::unique_ptr<Handle> borrow();
  void give_back(std::unique_ptr<Handle> handle);

  CurlSettings settings_;
  std::unique_ptr<Share> share_;  // declared before idle_: handles go first, then the share they use
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace gb::http
