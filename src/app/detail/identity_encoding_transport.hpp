#pragma once
// Asks for uncompressed bodies. Over loopback or a fast LAN, gzip costs more
// CPU on both ends than it saves on the wire (measured in docs/performance.md),
// so `--no-compression` puts this in front of curl, whose own Accept-Encoding
// a request header replaces.
#include "http/transport.hpp"

namespace gb::app::detail {

// Thread-safe if `inner` is; `inner` must outlive it.
class IdentityEncodingTransport final : public http::Transport {
 public:
  explicit IdentityEncodingTransport(http::Transport& inner) : inner_(inner) {}
  Result<http::Response> send(const http::Request& request, const http::BodySink* sink = nullptr) override {
    http::Request copy = request;
    copy.headers.emplace_back("Accept-Encoding", "identity");
    return inner_.send(copy, sink);
  }

 private:
  http::Transport& inner_;
};

}  // namespace gb::app::detail
