#pragma once
// Where Redis is: redis://[[user]:password@]host[:port][/db], the URL form
// Celery's redis result backend takes.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::redis {

struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string user;      // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;

  // Accepts redis://[[user]:password@]host[:port][/db] (user and password
  // percent-decoded; no db or "/" means 0). kInvalidInput for other schemes
  // (rediss: TLS is not supported), a query, a bad port or db, an empty host.
  // Error messages never quote the text (it may hold a password). Pure.
  static Result<RedisUrl> parse(std::string_view text);

  // The URL with the password replaced by "***", for logs and errors.
  std::string redacted() const;
};

}  // namespace gb::redis
