#include "base/log.hpp"

#include <fmt/chrono.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "base/json.hpp"

namespace gb::log {
namespace {

struct State {
  std::mutex mutex;
  Format format = Format::kText;
  std::vector<std::string> secrets;
  std::shared_ptr<spdlog::logger> logger;
  std::mutex writer_mutex;  // held while a line is written: set_line_writer waits for it
  std::function<void(std::string_view)> writer;
};

State& state() {
  static State s;
  return s;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> logger_locked(State& s) {
  if (!s.logger) {
    s.logger = std::make_shared<spdlog::logger>("gb", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    s.logger->set_pattern("%v");
    s.logger->set_level(spdlog::level::info);
  }
  return s.logger;
}

// Masks the word after an authorization scheme, whatever it is.
void mask_after(std::string& text, std::string_view scheme) {
  for (std::size_t pos = text.find(scheme); pos != std::string::npos; pos = text.find(scheme, pos)) {
    std::size_t start = pos + scheme.size();
    std::size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != '"' && text[end] != ',' && text[end] != '\n') ++end;
    text.replace(start, end - start, "***");
    pos = start + 3;
  }
}

}  // namespace

void init(Format format, Level level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.format = format;
  logger_locked(s)->set_level(to_spdlog(level));
}

void set_line_writer(std::function<void(std::string_view line)> writer) {
  State& s = state();
  std::lock_guard lock(s.writer_mutex);
  s.writer = std::move(writer);
}

void register_secret(std::string secret) {
  if (secret.size() < 4) return;
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (std::find(s.secrets.begin(), s.secrets.end(), secret) == s.secrets.end()) s.secrets.push_back(std::move(secret));
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    State& s = state();
    std::lock_guard lock(s.mutex);
    for (const auto& secret : s.secrets) {
      for (std::size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + 3)) {
        out.replace(pos, secret.size(), "***");
      }
    }
  }
  mask_after(out, "Bearer ");
  mask_after(out, "bearer ");
  mask_after(out, "Basic ");
  return out;
}

Event& Event::field(std::string_view key, std::string_view value) {
  fields_.push_back({std::string(key), std::string(value), true});
  return *this;
}

Event& Event::field(std::string_view key, std::int64_t value) {
  fields_.push_back({std::string(key), std::to_string(value), false});
  return *this;
}

Event& Event::field(std::string_view key, double value) {
  fields_.push_back({std::string(key), fmt::format("{:.3f}", value), false});
  return *this;
}

void Event::emit() {
  State& s = state();
  std::shared_ptr<spdlog::logger> logger;
  Format format;
  {
    std::lock_guard lock(s.mutex);
    logger = logger_locked(s);
    format = s.format;
  }
  if (!logger->should_log(to_spdlog(level_))) return;
  const auto now = std::chrono::system_clock::now();
  std::string line;
  if (format == Format::kJson) {
    line = fmt::format(R"({{"ts":"{:%Y-%m-%dT%H:%M:%S}Z","level":"{}","msg":)",
                       std::chrono::floor<std::chrono::seconds>(now), level_name(level_));
    append_json_string(line, message_);
    for (const auto& f : fields_) {
      line += ',';
      append_json_string(line, f.key);
      line += ':';
      if (f.quoted) {
        append_json_string(line, f.value);
      } else {
        line += f.value;
      }
    }
    line += '}';
  } else {
    line = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z {} {}", std::chrono::floor<std::chrono::seconds>(now), level_name(level_),
                       message_);
    for (const auto& f : fields_) line += fmt::format(" {}={}", f.key, f.value);
  }
  const std::string redacted = redact(line);
  std::lock_guard lock(s.writer_mutex);
  if (s.writer) {
    s.writer(redacted);
  } else {
    logger->log(to_spdlog(level_), redacted);
  }
}

}  // namespace gb::log
