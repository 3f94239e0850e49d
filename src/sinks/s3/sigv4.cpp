#include "sinks/s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <stdexcept>

namespace gb::sinks::s3 {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

using Digest = std::array<unsigned char, 32>;

// HMAC-SHA256 cannot fail on these inputs short of memory exhaustion; a
// failure is a broken OpenSSL, so it throws (a bug, not an I/O edge).
Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &size) == nullptr ||
      size != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

std::string_view as_view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// Trimall: no leading or trailing spaces, inner runs of spaces as one.
std::string trim_all(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string date_of(const std::string& amz) {
  return amz.substr(0, 8);
}

std::string credential_scope(const SigningScope& scope) {
  return date_of(amz_date(scope.time)) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

}  // namespace

std::string uri_encode(std::string_view bytes, bool keep_slash) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0x0f]);
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return {buf, n};
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

HeaderList headers_to_sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope) {
  HeaderList all;
  all.reserve(request.headers.size() + 2);
  for (const auto& [name, value] : request.headers) {
    const std::string lname = lower(name);
    // Ours replace any the caller left (a retry of a signed request).
    if (lname == "x-amz-date" || lname == "authorization" ||
        (lname == "x-amz-security-token" && !credentials.session_token.empty())) {
      continue;
    }
    all.emplace_back(lname, trim_all(value));
  }
  all.emplace_back("x-amz-date", amz_date(scope.time));
  if (!credentials.session_token.empty()) all.emplace_back("x-amz-security-token", credentials.session_token);
  // Stable: repeated names keep their order, joined by ',' below.
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  HeaderList merged;
  for (auto& [name, value] : all) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += ",";
      merged.back().second += value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  return merged;
}

std::string canonical_request(const SigningRequest& request, const HeaderList& signed_headers) {
  std::string out = request.method + "\n" + request.canonical_uri + "\n" + canonical_query(request.query) + "\n";
  std::string names;
  for (const auto& [name, value] : signed_headers) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  out += "\n" + names + "\n" + request.payload_sha256;
  return out;
}

std::string string_to_sign(const std::string& canonical_request, const SigningScope& scope) {
  return "AWS4-HMAC-SHA256\n" + amz_date(scope.time) + "\n" + credential_scope(scope) + "\n" +
         sha256_hex(canonical_request);
}

std::string signature(const std::string& string_to_sign, const Credentials& credentials, const SigningScope& scope) {
  const Digest k_date = hmac_sha256("AWS4" + credentials.secret_access_key, date_of(amz_date(scope.time)));
  const Digest k_region = hmac_sha256(as_view(k_date), scope.region);
  const Digest k_service = hmac_sha256(as_view(k_region), scope.service);
  const Digest k_signing = hmac_sha256(as_view(k_service), "aws4_request");
  const Digest sig = hmac_sha256(as_view(k_signing), string_to_sign);
  return to_hex(sig.data(), sig.size());
}

HeaderList sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope) {
  const HeaderList signed_headers = headers_to_sign(request, credentials, scope);
  const std::string sts = string_to_sign(canonical_request(request, signed_headers), scope);
  std::string names;
  for (const auto& h : signed_headers) {
    if (!names.empty()) names.push_back(';');
    names += h.first;
  }
  HeaderList out;
  out.emplace_back("x-amz-date", amz_date(scope.time));
  if (!credentials.session_token.empty()) out.emplace_back("x-amz-security-token", credentials.session_token);
  out.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                                        credential_scope(scope) + ", SignedHeaders=" + names +
                                        ", Signature=" + signature(sts, credentials, scope));
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(out, size);
}

}  // namespace gb::sinks::s3
