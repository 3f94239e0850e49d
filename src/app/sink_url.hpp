#pragma once
// Which store a --sink URL names. The composition root is the only place that
// knows the concrete stores.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sinks/sink.hpp"

namespace gb::app {

inline constexpr std::string_view kDefaultSinkUrl = "sqlite:genesys-bulk.db";

// SQLite's page cache for the export's connection. With 64 KiB pages the
// sink's default of 16 MiB measured about 64 MB of SQLite heap while one
// large chunk landed (peak RSS 275 MB for a 500 MB chunk); 2 MiB keeps the
// whole process near 52 MB at no measured cost in insert rate
// (docs/performance.md).
inline constexpr std::int64_t kSqliteCacheKib = 2048;

// "sqlite:PATH" (PATH non-empty; "sqlite://PATH" is accepted too). Anything
// else is kInvalidInput with one line naming the supported schemes.
Result<std::unique_ptr<sinks::Sink>> open_sink(std::string_view url);

// The SQLite file a sqlite: URL names (kInvalidInput otherwise).
Result<std::string> sqlite_path(std::string_view url);

}  // namespace gb::app
