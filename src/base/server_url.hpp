#pragma once
// The shape every server URL we take shares (amqp://, redis://):
//   SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/PATH]
// split and percent-decoded, so each client only says what its path means
// and how it prints itself without the password. No query string, no
// fragment, no spaces or control characters; HOST may be [IPv6].
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb {

struct ServerUrlParts {
  std::optional<std::string> user;      // decoded; nullopt without a '@'
  std::optional<std::string> password;  // decoded; nullopt without a ':' in USER[:PASSWORD]
  std::string host;                     // decoded brackets: "::1" for [::1]
  std::optional<int> port;              // 1-65535 when given
  std::string path;                     // after the first '/', still percent-encoded
};

// `scheme` without "://", matched case-insensitively; `tls_scheme` (e.g.
// "amqps") gets "not supported" rather than "must start with". Errors are
// kInvalidInput "<name> URL: what is wrong", never quoting the password.
Result<ServerUrlParts> split_server_url(std::string_view text, std::string_view scheme, std::string_view tls_scheme,
                                        std::string_view name);

// %XX decoding; false on a malformed escape or an encoded NUL.
bool percent_decode(std::string_view in, std::string& out);

// Everything but RFC 3986's unreserved characters as %XX.
std::string percent_encode(std::string_view in);

// "host" or "[v6]", for printing a URL back.
std::string bracketed_host(const std::string& host);

}  // namespace gb
