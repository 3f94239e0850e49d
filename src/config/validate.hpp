#pragma once
#include "base/result.hpp"
#include "config/settings.hpp"

namespace gb::config {

// Checks every setting once at start. Returns kInvalidInput with one clear
// line naming the first bad setting (never its secret value), else ok.
// Host resolution (region table, URL shape) is checked by api::resolve_hosts;
// here only that some way to find the org was given and that explicit URLs
// are http(s). Pure; thread-safe.
Status validate(const Settings& settings);

// Narrower checks, also used by validate().
Status validate_hosts(const HostSettings& hosts);
Status validate_credentials(const Credentials& credentials);

}  // namespace gb::config
