#include "sinks/detail/sha256.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

namespace gb::sinks::detail {

Error openssl_error(std::string_view what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return internal_error(fmt::format("openssl: {} failed", what));
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return internal_error(fmt::format("openssl: {}: {}", what, text));
}

Result<Sha256> Sha256::make() {
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return openssl_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return openssl_error("EVP_DigestInit_ex");
  return Sha256(std::move(ctx));
}

Status Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) return openssl_error("EVP_DigestUpdate");
  return ok_status();
}

Result<std::string> Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), digest, &n) != 1) return openssl_error("EVP_DigestFinal_ex");
  std::string out;
  out.reserve(std::size_t{2} * n);
  for (unsigned int i = 0; i < n; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

void append_base64(std::string& out, std::string_view bytes) {
  const std::size_t at = out.size();
  out.resize(at + 4 * ((bytes.size() + 2) / 3) + 1);  // EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(at + static_cast<std::size_t>(n));
}

}  // namespace gb::sinks::detail
