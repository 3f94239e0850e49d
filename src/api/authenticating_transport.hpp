#pragma once
#include "api/token_cache.hpp"
#include "http/transport.hpp"

namespace gb::api {

// A Transport decorator that puts "Authorization: Bearer <token>" on every
// request (replacing any Authorization header the request had). On a 401 it
// invalidates that token and sends the same request once more with a fresh
// one; a second 401 is returned as a kPermanent Error (http_status 401),
// never as a Response. Failing to get a token returns the token source's
// error (kTransient for the caller's retry loop, or kPermanent) marked
// not_sent: the request did not go out. Every other
// outcome is the inner transport's, unchanged. A streamed body is safe to
// retry: a 401 body never reaches the sink. Thread-safe if `inner` and
// `tokens` are; both must outlive this object.
class AuthenticatingTransport final : public http::Transport {
 public:
  AuthenticatingTransport(http::Transport& inner, TokenSource& tokens) : inner_(inner), tokens_(tokens) {}

  Result<http::Response> send(const http::Request& request, const http::BodySink* sink = nullptr) override;

 private:
  http::Transport& inner_;
  TokenSource& tokens_;
};

}  // namespace gb::api
