#include "app/sink_url.hpp"

#include <fmt/format.h>

#include "sinks/sqlite/sqlite_sink.hpp"

namespace gb::app {
namespace {

constexpr std::string_view kSupported = "supported: sqlite:PATH";

}  // namespace

Result<std::string> sqlite_path(std::string_view url) {
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return invalid_input(fmt::format("--sink \"{}\": not a sink URL ({})", url, kSupported));
  }
  const std::string_view scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 1);
  if (scheme != "sqlite") {
    return invalid_input(fmt::format("--sink \"{}\": unknown scheme \"{}\" ({})", url, scheme, kSupported));
  }
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  if (rest.empty()) return invalid_input(fmt::format("--sink \"{}\": the file path is missing ({})", url, kSupported));
  return std::string(rest);
}

Result<std::unique_ptr<sinks::Sink>> open_sink(std::string_view url) {
  auto path = sqlite_path(url);
  if (!path.ok()) return std::move(path).error();
  sinks::SqliteSettings settings;
  settings.path = *path;
  auto sink = sinks::SqliteSink::open(settings);
  if (!sink.ok()) return std::move(sink).error();
  return std::unique_ptr<sinks::Sink>(std::move(*sink));
}

}  // namespace gb::app
