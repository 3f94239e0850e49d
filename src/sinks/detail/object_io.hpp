#pragma once
// Writing and reading objects of an ObjectStore as NDJSON: through gzip when
// asked, with the SHA-256 of the bytes as stored, in large pieces (an
// object store pays per write call: a request, a syscall).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sinks/detail/gzip_stream.hpp"
#include "sinks/detail/sha256.hpp"
#include "sinks/object_landing.hpp"

namespace gb::sinks::detail {

// One object being written: append() as often as needed, then commit().
// Destroyed without a commit, nothing is visible (ObjectWrite's contract).
class EncodedObject {
 public:
  static constexpr std::size_t kPieceBytes = std::size_t{1} << 20;

  static Result<EncodedObject> begin(ObjectStore& store, const std::string& key, bool gzip);
  Status append(std::string_view bytes);
  // Flushes, ends the gzip stream, commits the object; returns its SHA-256
  // (hex) over the bytes as stored.
  Result<std::string> commit();
  // Bytes handed to the store so far (compressed, when gzip).
  std::uint64_t stored_bytes() const { return stored_bytes_; }

 private:
  EncodedObject(std::unique_ptr<ObjectWrite> write, std::optional<GzipDeflater> gz, Sha256 sha)
      : write_(std::move(write)), gz_(std::move(gz)), sha_(std::move(sha)) {}
  Status flush();
  Status encode(std::string_view bytes);
  Status store(std::string_view bytes);

  std::unique_ptr<ObjectWrite> write_;
  std::optional<GzipDeflater> gz_;
  Sha256 sha_;
  std::string pending_;
  std::uint64_t stored_bytes_ = 0;
};

// Reads the object at `key` (gunzipped when `gzip`) and hands each line to
// `on_line`, without its '\n'. A last line without '\n' is handed over too.
Status read_lines(ObjectStore& store, const std::string& key, bool gzip,
                  const std::function<Status(std::string_view line)>& on_line);

}  // namespace gb::sinks::detail
