#pragma once
// Where the OAuth client credentials come from.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "config/settings.hpp"

namespace gb::config {

inline constexpr std::string_view kClientIdEnv = "GENESYS_CLIENT_ID";
inline constexpr std::string_view kClientSecretEnv = "GENESYS_CLIENT_SECRET";

// Looks up an environment variable; injectable so tests need not touch the
// process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

// Loads credentials from `file` when it is non-empty, else from
// GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET.
//
// The file must be a regular file owned by the current user that neither
// group nor others can read or write (e.g. mode 0600), at most 64 KiB, with
// two lines (blank lines and lines starting with '#' are ignored; spaces
// around the value are trimmed):
//   client_id=...
//   client_secret=...
//
// On success the secret is registered with log::register_secret, so it can
// never appear in a log line. Errors are kInvalidInput with one line that
// names the file or variable but never a secret's value. Thread-safe.
Result<Credentials> load_credentials(const std::string& file, const EnvLookup& env = process_env());

// Parses the file format above (exposed for tests).
Result<Credentials> parse_credentials_text(std::string_view text, std::string_view origin);

}  // namespace gb::config
