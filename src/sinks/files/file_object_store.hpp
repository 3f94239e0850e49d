#pragma once
// Objects as files under one directory (`--sink file:DIR`): the key
// "a/b/c.ndjson" is the file DIR/a/b/c.ndjson.
//
// An object appears whole or not at all: it is written under a temporary
// name in its target's directory, fsynced, renamed into place (atomic on
// POSIX), and the directory is fsynced, so after commit() it survives a
// crash or a power loss, and before it nothing is at the key.
//
// Temporary names are ".tmp-<pid>-<n>-<name>" beside the target. A write
// destroyed without a commit removes its file. A crash (kill -9, power loss)
// can leave one behind, never a partial object at a key: open() removes the
// leftovers whose process is gone (several processes may share a directory,
// so a live writer's files are kept), and keys may not have a segment
// starting with ".tmp-", so a leftover can never be taken for an object.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sinks/object_landing.hpp"

namespace gb::sinks {

class FileObjectStore final : public ObjectStore {
 public:
  // Creates `dir` (and its parents) if missing, then removes leftover
  // temporary files of dead processes under it. kInvalidInput when it
  // cannot be created, is not a directory or cannot be written.
  static Result<std::unique_ptr<FileObjectStore>> open(const std::string& dir);

  // kInvalidInput for a key that is not a relative path of valid segments
  // (no empty, "." or ".." segment, no segment starting with ".tmp-", no
  // NUL). Creates the key's parent directories.
  Result<std::unique_ptr<ObjectWrite>> begin_write(const std::string& key) override;
  Status read(const std::string& key, const std::function<Status(std::string_view)>& consume) override;
  std::string describe(const std::string& key) const override;
  // Two: one file's write + fsync overlaps another's (bench_file_landing).
  int max_concurrent_writes() const override { return 2; }
  // Writes go straight to the file: nothing is buffered here.
  std::uint64_t memory_per_write() const override { return 0; }

  const std::filesystem::path& dir() const { return dir_; }
  // How many leftover temporary files open() removed.
  int leftovers_removed() const { return leftovers_removed_; }

  static constexpr std::string_view kTempPrefix = ".tmp-";

 private:
  explicit FileObjectStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  int leftovers_removed_ = 0;
};

}  // namespace gb::sinks
