#pragma once
// libcurl wrapped once: owning handles for every C object we create, and the
// single translation of CURLcode into gb::Error.
#include <curl/curl.h>

#include <memory>
#include <string_view>

#include "base/result.hpp"

namespace gb::http::detail {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct ShareDeleter {
  void operator()(CURLSH* s) const { curl_share_cleanup(s); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using SlistHandle = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;
using ShareHandle = std::unique_ptr<CURLSH, ShareDeleter>;

// curl_global_init, exactly once per process (thread-safe).
void ensure_curl_global_init();

// Connection-level failures, timeouts and truncated transfers are transient;
// everything else (TLS verification, bad URL, unsupported protocol...) is
// permanent. `detail` is curl's error buffer (may be empty).
Error error_from_curl(CURLcode code, std::string_view detail, std::string_view what);

}  // namespace gb::http::detail
