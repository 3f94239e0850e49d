#pragma once
// SHA-256 over a stream of bytes, with OpenSSL's EVP interface: the checksum
// an object store lists for each object (LandResult::checksum, the manifest).
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::sinks::detail {

// The one place OpenSSL's error queue becomes an Error (kInternal).
Error openssl_error(std::string_view what);

class Sha256 {
 public:
  static Result<Sha256> make();
  Status update(std::string_view bytes);
  // The digest as 64 lowercase hex digits. Once only.
  Result<std::string> hex();

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  explicit Sha256(std::unique_ptr<EVP_MD_CTX, CtxFree> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

// RFC 4648 base64 with padding, no line breaks (EVP_EncodeBlock), appended to
// `out`. Pieces of a longer input may be encoded one by one and concatenated
// when every piece but the last is a multiple of 3 bytes long.
void append_base64(std::string& out, std::string_view bytes);

}  // namespace gb::sinks::detail
