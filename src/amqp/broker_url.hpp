#pragma once
// Where the broker is: amqp://user:password@host:port/vhost, parsed strictly
// (ours, not amqp_parse_url, so that what is rejected is written down here).
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::amqp {

struct BrokerUrl {
  std::string user = "guest";
  std::string password = "guest";
  std::string host = "localhost";
  int port = 5672;
  std::string vhost = "/";

  // Accepts amqp://[user[:password]@]host[:port][/vhost]. User, password and
  // vhost are percent-decoded; no path or "/" means vhost "/" (as kombu and
  // Celery read it), "/%2f" is "/" too. kInvalidInput for other schemes
  // (amqps: TLS is not supported), a query, a bad port, an empty host, a
  // vhost with an unencoded '/'. Error messages never quote the text (it may
  // hold a password). Pure and thread-safe.
  static Result<BrokerUrl> parse(std::string_view text);

  // The URL with the password replaced by "***", for logs and errors.
  std::string redacted() const;
};

}  // namespace gb::amqp
