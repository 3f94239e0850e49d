#pragma once
// Structured logging over spdlog. Every line goes through Event::emit(), which
// redacts registered secrets and bearer tokens: call sites never redact.
//   log::info("chunk landed").field("job_id", id).field("records", n).emit();
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gb::log {

enum class Format { kText, kJson };
enum class Level { kDebug, kInfo, kWarn, kError };

// Configures the process-wide logger (stderr). Safe to call again.
void init(Format format, Level level);

// Where log lines go instead of stderr while something else draws on the
// terminal (the live progress display): `writer` gets each whole line, without
// its newline, one call at a time. An empty writer means stderr again; it
// returns after any call in progress. Thread-safe.
void set_line_writer(std::function<void(std::string_view line)> writer);

// Registers a value that must never appear in a log line (client secret,
// access token). Thread-safe; short values (< 4 chars) are ignored.
void register_secret(std::string secret);

// Replaces registered secrets and "Bearer <token>" / "Basic <creds>" with ***.
std::string redact(std::string_view text);

class Event {
 public:
  Event(Level level, std::string message) : level_(level), message_(std::move(message)) {}
  Event& field(std::string_view key, std::string_view value);
  Event& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  Event& field(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
  Event& field(std::string_view key, std::int64_t value);
  Event& field(std::string_view key, int value) { return field(key, static_cast<std::int64_t>(value)); }
  Event& field(std::string_view key, std::uint64_t value) { return field(key, static_cast<std::int64_t>(value)); }
  Event& field(std::string_view key, double value);
  void emit();

 private:
  struct Field {
    std::string key;
    std::string value;
    bool quoted;
  };
  Level level_;
  std::string message_;
  std::vector<Field> fields_;
};

inline Event debug(std::string message) {
  return {Level::kDebug, std::move(message)};
}
inline Event info(std::string message) {
  return {Level::kInfo, std::move(message)};
}
inline Event warn(std::string message) {
  return {Level::kWarn, std::move(message)};
}
inline Event error(std::string message) {
  return {Level::kError, std::move(message)};
}

}  // namespace gb::log
