#pragma once
// How the simulator words its answers: Genesys Cloud's error body, JSON
// fields, and the headers and body faults that several endpoints share.
#include <cstdint>
#include <string>
#include <string_view>

#include "simulator/detail/http.hpp"
#include "simulator/faults.hpp"
#include "simulator/rate_limiter.hpp"

namespace gb::simulator::detail {

// Appends "key":"value" (both escaped).
void json_field(std::string& out, std::string_view key, std::string_view value);

// Ids and paths echoed in error messages are cut short: they come from the client.
std::string shown(std::string_view text);

// A whole decimal number of at most 20 digits; false otherwise.
bool parse_u64(std::string_view text, std::uint64_t& out);

// Genesys Cloud's error body {message, code, status, contextId, details,
// errors}; an empty `code` becomes the status's usual one (404 not.found ...).
Reply error_reply(int status, std::string_view code, std::string_view message, std::string_view context_id);

// inin-ratelimit-count, -allowed, -reset and X-RateLimit-Remaining.
void add_rate_headers(Reply& reply, const RateLimiter::Decision& decision);

// A chunk or page body reset or cut short, when the faults say so.
void apply_body_fault(Reply& reply, FaultScheduler& faults);

}  // namespace gb::simulator::detail
