#pragma once
// Intel ISA-L's streaming inflate (igzip), wrapped once (ADR 0007): the only
// file that includes <isa-l/igzip_lib.h>. Decodes a gzip body (RFC 1952: one
// member, or several concatenated as RFC 9110 allows) fed in pieces of any
// size, and hands the decoded bytes on in blocks of at most kBlockBytes, so
// memory stays bounded whatever the compression ratio. One body per inflater;
// not thread-safe.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.hpp"
#include "http/detail/gzip_header.hpp"

struct inflate_state;

namespace gb::http::detail {

class GzipInflater {
 public:
  static constexpr std::size_t kBlockBytes = std::size_t{128} * 1024;
  // Receives each decoded block; returning false stops the decoding (write()
  // then returns ok at once: the receiver knows why it stopped).
  using Output = std::function<bool(std::string_view)>;

  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Decodes the next piece of the body. Bytes decoded before a fault are
  // handed on before the error is returned. A corrupt stream (bad header, bad
  // deflate data, wrong CRC or length) is a transient error, like a
  // truncated body: the next attempt may well be whole.
  Status write(std::string_view in, const Output& out);
  // After the last piece: a transient error when the body ended inside a
  // member (truncated). An empty body is fine (nothing was encoded).
  Status finish() const;

  std::uint64_t members() const { return members_; }

 private:
  std::unique_ptr<inflate_state> state_;
  std::unique_ptr<char[]> block_;
  GzipHeaderReader header_;  // of the current member
  bool in_member_ = false;
  std::uint64_t members_ = 0;
};

// The single translation of isal_inflate()'s return codes into gb::Error.
Error error_from_isal(int code);

}  // namespace gb::http::detail
