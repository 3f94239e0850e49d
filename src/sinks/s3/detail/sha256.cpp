#include "sinks/s3/detail/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace gb::sinks::s3::detail {
namespace {

EVP_MD_CTX* md(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

}  // namespace

void Sha256::CtxDeleter::operator()(void* ctx) const {
  EVP_MD_CTX_free(md(ctx));
}

// Failures here mean OpenSSL is unusable (no memory): a bug-class failure, thrown.
Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(md(ctx_.get()), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 init failed");
  }
}

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(md(ctx_.get()), bytes.data(), bytes.size()) != 1) throw std::runtime_error("SHA-256 failed");
}

std::string Sha256::finish_hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(md(ctx_.get()), out, &size) != 1) throw std::runtime_error("SHA-256 failed");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kDigits[out[i] >> 4]);
    hex.push_back(kDigits[out[i] & 0x0f]);
  }
  return hex;
}

}  // namespace gb::sinks::s3::detail
