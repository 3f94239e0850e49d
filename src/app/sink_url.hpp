#pragma once
// Which store a --sink URL names. The composition root is the only place that
// knows the concrete stores.
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sinks/sink.hpp"

namespace gb::app {

inline constexpr std::string_view kDefaultSinkUrl = "sqlite:genesys-bulk.db";

// "sqlite:PATH" (PATH non-empty; "sqlite://PATH" is accepted too). Anything
// else is kInvalidInput with one line naming the supported schemes.
Result<std::unique_ptr<sinks::Sink>> open_sink(std::string_view url);

// The SQLite file a sqlite: URL names (kInvalidInput otherwise).
Result<std::string> sqlite_path(std::string_view url);

}  // namespace gb::app
