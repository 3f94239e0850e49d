#include "config/credentials.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.hpp"
#include "config/validate.hpp"

namespace gb::config {
namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{64} * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Owns one file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<Credentials> finish(Credentials credentials) {
  if (Status valid = validate_credentials(credentials); !valid.ok()) return valid.error();
  log::register_secret(credentials.client_secret);
  return credentials;
}

Result<std::string> read_private_file(const std::string& path) {
  // O_NOFOLLOW: the file itself must be the owner's, not a link to elsewhere.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  const int raw_fd = fd.get();
  if (raw_fd < 0) {
    return invalid_input(fmt::format("cannot open credentials file {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  // fstat on the opened descriptor: what we check is what we read.
  if (::fstat(raw_fd, &st) != 0) {
    return invalid_input(fmt::format("cannot stat credentials file {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return invalid_input(fmt::format("credentials file {} is not a regular file", path));
  if (st.st_uid != ::geteuid()) {
    return invalid_input(fmt::format("credentials file {} is not owned by the current user", path));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return invalid_input(
        fmt::format("credentials file {} is readable or writable by group or others (mode {:04o}); run chmod 600 on it",
                    path, st.st_mode & 07777));
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes) {
    return invalid_input(fmt::format("credentials file {} is larger than {} bytes", path, kMaxFileBytes));
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(raw_fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return invalid_input(fmt::format("cannot read credentials file {}: {}", path, std::strerror(errno)));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Credentials> parse_credentials_text(std::string_view text, std::string_view origin) {
  Credentials credentials;
  bool has_id = false;
  bool has_secret = false;
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::size_t eq = line.find('=');
    // Never quote the line back: it may hold the secret.
    if (eq == std::string_view::npos) {
      return invalid_input(fmt::format("{} line {}: expected key=value", origin, line_number));
    }
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    if (key == "client_id") {
      credentials.client_id = std::string(value);
      has_id = true;
    } else if (key == "client_secret") {
      credentials.client_secret = std::string(value);
      has_secret = true;
    } else {
      return invalid_input(
          fmt::format("{} line {}: unknown key (expected client_id or client_secret)", origin, line_number));
    }
  }
  if (!has_id) return invalid_input(fmt::format("{} has no client_id line", origin));
  if (!has_secret) return invalid_input(fmt::format("{} has no client_secret line", origin));
  return credentials;
}

Result<Credentials> load_credentials(const std::string& file, const EnvLookup& env) {
  if (!file.empty()) {
    auto text = read_private_file(file);
    if (!text.ok()) return std::move(text).error();
    auto parsed = parse_credentials_text(*text, fmt::format("credentials file {}", file));
    if (!parsed.ok()) return std::move(parsed).error();
    return finish(std::move(parsed).value());
  }
  auto id = env(kClientIdEnv);
  auto secret = env(kClientSecretEnv);
  if (!id && !secret) {
    return invalid_input(
        fmt::format("no credentials: set {} and {}, or give a credentials file", kClientIdEnv, kClientSecretEnv));
  }
  if (!id || id->empty()) return invalid_input(fmt::format("{} is not set", kClientIdEnv));
  if (!secret || secret->empty()) return invalid_input(fmt::format("{} is not set", kClientSecretEnv));
  return finish(Credentials{std::move(*id), std::move(*secret)});
}

}  // namespace gb::config
