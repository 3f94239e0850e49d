#pragma once
// The one place that decides what an HTTP outcome means.
#include <chrono>
#include <optional>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "http/transport.hpp"

namespace gb::http {

bool is_success(int status);
bool is_transient_status(int status);  // 429, 502, 503, 504 (and 408)

// Retry-After in seconds (an HTTP date is also accepted, a date in the past
// means 0); without a Retry-After, inin-ratelimit-reset on a 429; else
// nullopt. An invalid Retry-After (negative, empty, not a number or a date)
// is ignored, as RFC 9110 says: nullopt, and the caller's backoff applies.
// Values beyond 7 days count as 7 days.
std::optional<std::chrono::milliseconds> retry_after(const Response& response);
// The same, with the wall-clock time to measure an HTTP-date against when the
// response has no Date header (the server's Date is preferred: no clock skew).
std::optional<std::chrono::milliseconds> retry_after(const Response& response,
                                                     std::chrono::system_clock::time_point now);

// Turns a non-2xx Response into an Error: kTransient for transient statuses
// (with retry_after filled), kUnauthorized for 401, kPermanent otherwise.
// The message includes the API's error "code"/"message" when the body has them.
Error error_from_response(const Response& response, std::string_view what);

}  // namespace gb::http
