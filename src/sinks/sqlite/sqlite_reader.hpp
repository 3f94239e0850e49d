#pragma once
// Reading back what a SQLite store (sqlite_sink.hpp) holds for one job, for
// checks such as `demo`'s summary and the tests' exact-set assertions. The
// SQL stays here, beside the schema it reads.
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sinks/types.hpp"

namespace gb::sinks {

// Opens `db_path` without creating it, reads, closes. kInvalidInput when the
// file cannot be opened; other SQLite failures as sinks' other errors.
// Safe to call from any thread (its own connection).
Result<LandedKeys> read_landed_keys(const std::string& db_path, const std::string& job_id);

}  // namespace gb::sinks
