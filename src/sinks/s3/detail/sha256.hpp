#pragma once
// SHA-256 over bytes that arrive in pieces (OpenSSL EVP), for the checksum
// of an object while it is written.
#include <memory>
#include <string>
#include <string_view>

namespace gb::sinks::s3::detail {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  // Lowercase hex; the object cannot be updated afterwards.
  std::string finish_hex();

 private:
  struct CtxDeleter {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxDeleter> ctx_;
};

}  // namespace gb::sinks::s3::detail
