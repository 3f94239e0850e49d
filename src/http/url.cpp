#include "http/url.hpp"

#include <charconv>

#include "http/detail/curl_handles.hpp"

namespace gb::http {
namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// One part of a parsed URL; empty when it is absent.
bool get_part(CURLU* u, CURLUPart part, unsigned flags, std::string& out) {
  char* raw = nullptr;
  const CURLUcode rc = curl_url_get(u, part, &raw, flags);
  detail::CurlString owned(raw);
  if (rc == CURLUE_OK) {
    out = owned ? owned.get() : "";
    return true;
  }
  out.clear();
  return false;
}

// Parses with curl; URL stays owned by the returned handle. nullptr when invalid.
detail::UrlHandle parse_handle(std::string_view text) {
  detail::ensure_curl_global_init();
  if (text.empty() || text.size() > 8192 || text.find('\0') != std::string_view::npos) return nullptr;
  detail::UrlHandle u(curl_url());
  if (!u) return nullptr;
  const std::string copy(text);
  // No CURLU_GUESS_SCHEME / CURLU_DEFAULT_SCHEME: a URL must say http or https.
  if (curl_url_set(u.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) return nullptr;
  return u;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  auto u = parse_handle(text);
  if (!u) return invalid_input("not a valid absolute URL");
  Url url;
  std::string port;
  std::string ignored;
  get_part(u.get(), CURLUPART_SCHEME, 0, url.scheme);
  url.scheme = lower(url.scheme);
  if (url.scheme != "http" && url.scheme != "https") return invalid_input("URL scheme must be http or https");
  if (get_part(u.get(), CURLUPART_USER, 0, ignored) || get_part(u.get(), CURLUPART_PASSWORD, 0, ignored)) {
    return invalid_input("URL must not carry credentials");
  }
  if (!get_part(u.get(), CURLUPART_HOST, 0, url.host) || url.host.empty()) return invalid_input("URL has no host");
  url.host = lower(url.host);
  get_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT, port);
  const auto* end = port.data() + port.size();
  // Port 0 parses but connects nowhere: refuse it here, with one clear error.
  if (auto [p, ec] = std::from_chars(port.data(), end, url.port); ec != std::errc() || p != end || url.port <= 0) {
    return invalid_input("URL has a bad port");
  }
  get_part(u.get(), CURLUPART_PATH, 0, url.path);
  if (url.path.empty()) url.path = "/";
  get_part(u.get(), CURLUPART_QUERY, 0, url.query);
  return url;
}

bool same_origin(std::string_view url, std::string_view base_url) {
  auto a = parse_url(url);
  auto b = parse_url(base_url);
  return a.ok() && b.ok() && a->scheme == b->scheme && a->host == b->host && a->port == b->port;
}

Result<std::string> join_url(std::string_view base_url, std::string_view path) {
  if (path.empty() || path.front() != '/') return invalid_input("path must start with '/'");
  auto base = parse_url(base_url);
  if (!base.ok()) return base.error();
  auto u = parse_handle(base_url);
  std::string prefix = base->path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const auto q = path.find('?');
  const std::string joined_path = prefix + std::string(path.substr(0, q));
  if (curl_url_set(u.get(), CURLUPART_PATH, joined_path.c_str(), 0) != CURLUE_OK) {
    return invalid_input("cannot join URL path");
  }
  const std::string query = q == std::string_view::npos ? std::string() : std::string(path.substr(q + 1));
  if (curl_url_set(u.get(), CURLUPART_QUERY, query.empty() ? nullptr : query.c_str(), 0) != CURLUE_OK) {
    return invalid_input("cannot join URL query");
  }
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  std::string out;
  if (!get_part(u.get(), CURLUPART_URL, 0, out)) return invalid_input("joined URL does not parse");
  if (auto check = parse_url(out); !check.ok()) return check.error();
  return out;
}

}  // namespace gb::http
