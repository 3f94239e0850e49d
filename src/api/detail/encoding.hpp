#pragma once
// Small encoders the API client needs where no installed library offers a
// public one (libcurl has no public base64; curl_easy_escape needs a handle).
#include <string>
#include <string_view>

namespace gb::api::detail {

// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view bytes);

// RFC 3986 percent-encoding: everything but unreserved characters.
std::string url_encode(std::string_view text);

}  // namespace gb::api::detail
