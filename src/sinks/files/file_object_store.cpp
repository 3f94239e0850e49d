#include "sinks/files/file_object_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <system_error>

#include "base/log.hpp"
#include "sinks/files/detail/posix_file.hpp"

namespace gb::sinks {
namespace {

namespace fs = std::filesystem;
using detail::errno_error;
using detail::UniqueFd;

constexpr std::size_t kReadPiece = std::size_t{1} << 20;

// Numbers temporary files within this process (with the pid: unique on the machine).
std::atomic<std::uint64_t> temp_counter{0};

Status check_key(const std::string& key) {
  if (key.empty() || key.size() > 4096 || key.find('\0') != std::string::npos) {
    return invalid_input("files: invalid object key");
  }
  for (std::size_t at = 0;;) {
    const std::size_t slash = key.find('/', at);
    const std::string_view seg =
        std::string_view(key).substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (seg.empty() || seg == "." || seg == ".." || seg.size() > 255 ||
        seg.substr(0, FileObjectStore::kTempPrefix.size()) == FileObjectStore::kTempPrefix) {
      return invalid_input(fmt::format("files: invalid object key '{}'", key));
    }
    if (slash == std::string::npos) return ok_status();
    at = slash + 1;
  }
}

// Makes `rel` (a checked key's parent) exist under `root`, one segment at a
// time, fsyncing the parent of each directory it creates so that the new
// entry survives a power loss.
Status ensure_dirs(const fs::path& root, const fs::path& rel) {
  fs::path at = root;
  for (const auto& seg : rel) {
    fs::path next = at / seg;
    if (::mkdir(next.c_str(), 0755) == 0) {
      auto synced = detail::fsync_dir(at.string());
      if (!synced) return synced;
    } else if (errno != EEXIST) {
      return errno_error(errno, "create directory", next.string());
    }
    at = std::move(next);
  }
  return ok_status();
}

// ".tmp-<pid>-<n>": the pid of the process that wrote it, or 0 when the name
// is not one of ours.
pid_t temp_owner(std::string_view name) {
  if (name.substr(0, FileObjectStore::kTempPrefix.size()) != FileObjectStore::kTempPrefix) return 0;
  name.remove_prefix(FileObjectStore::kTempPrefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || end == name.data() + name.size() || *end != '-' || pid <= 0) return 0;
  return pid;
}

class FileWrite final : public ObjectWrite {
 public:
  FileWrite(UniqueFd fd, std::string temp, std::string target, std::string dir)
      : fd_(std::move(fd)), temp_(std::move(temp)), target_(std::move(target)), dir_(std::move(dir)) {}
  ~FileWrite() override {
    if (temp_exists_) {
      fd_.reset();
      ::unlink(temp_.c_str());
    }
  }
  FileWrite(const FileWrite&) = delete;
  FileWrite& operator=(const FileWrite&) = delete;

  Status write(std::string_view bytes) override {
    if (!fd_) return internal_error("files: write after commit");
    return detail::write_all(fd_.get(), bytes, temp_);
  }

  Status commit() override {
    if (!fd_) return internal_error("files: commit twice");
    if (::fsync(fd_.get()) != 0) return errno_error(errno, "fsync", temp_);
    if (::close(fd_.release()) != 0) return errno_error(errno, "close", temp_);
    if (::rename(temp_.c_str(), target_.c_str()) != 0) return errno_error(errno, "rename into place", target_);
    temp_exists_ = false;
    // The rename is in place but may not be durable until its directory is
    // synced; if this fails, the retry writes the same bytes again.
    return detail::fsync_dir(dir_);
  }

 private:
  UniqueFd fd_;
  std::string temp_;
  std::string target_;
  std::string dir_;
  bool temp_exists_ = true;
};

}  // namespace

Result<std::unique_ptr<FileObjectStore>> FileObjectStore::open(const std::string& dir) {
  if (dir.empty()) return invalid_input("files: empty directory name");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return invalid_input(fmt::format("files: cannot create directory '{}': {}", dir, ec.message()));
  if (!fs::is_directory(dir, ec)) return invalid_input(fmt::format("files: '{}' is not a directory", dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return invalid_input(fmt::format("files: cannot write to directory '{}'", dir));
  }
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (ec) return invalid_input(fmt::format("files: directory '{}': {}", dir, ec.message()));
  if (root.filename().empty() && root != root.root_path()) root = root.parent_path();  // "dir/" -> "dir"
  std::unique_ptr<FileObjectStore> store(new FileObjectStore(root));

  // Leftovers of writers that died (kill -9, a power loss). A live process's
  // temporary files are its writes in progress: kept.
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const pid_t owner = temp_owner(it->path().filename().native());
    if (owner == 0 || !it->is_regular_file(ec)) continue;
    if (::kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::error_code removed;
    if (fs::remove(it->path(), removed)) {
      ++store->leftovers_removed_;
      log::info("removed a leftover temporary file").field("path", it->path().string()).emit();
    }
  }
  if (ec) return invalid_input(fmt::format("files: cannot list directory '{}': {}", dir, ec.message()));
  return store;
}

Result<std::unique_ptr<ObjectWrite>> FileObjectStore::begin_write(const std::string& key) {
  auto valid = check_key(key);
  if (!valid) return std::move(valid).error();
  const fs::path rel(key);
  auto dirs = ensure_dirs(dir_, rel.parent_path());
  if (!dirs) return std::move(dirs).error();
  const fs::path target = dir_ / rel;
  const fs::path parent = target.parent_path();
  const fs::path temp =
      parent / fmt::format("{}{}-{}", kTempPrefix, ::getpid(), temp_counter.fetch_add(1, std::memory_order_relaxed));
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return errno_error(errno, "create", temp.string());
  return std::unique_ptr<ObjectWrite>(
      std::make_unique<FileWrite>(std::move(fd), temp.string(), target.string(), parent.string()));
}

Status FileObjectStore::read(const std::string& key, const std::function<Status(std::string_view)>& consume) {
  auto valid = check_key(key);
  if (!valid) return valid;
  const std::string path = (dir_ / key).string();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return permanent_error(fmt::format("files: no object at '{}'", path));
    return errno_error(errno, "open", path);
  }
  std::string piece(kReadPiece, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), piece.data(), piece.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "read", path);
    }
    if (n == 0) return ok_status();
    auto consumed = consume(std::string_view(piece.data(), static_cast<std::size_t>(n)));
    if (!consumed) return consumed;
  }
}

std::string FileObjectStore::describe(const std::string& key) const {
  return (dir_ / key).string();
}

}  // namespace gb::sinks
