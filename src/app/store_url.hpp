#pragma once
// Which store a --sink URL (and --state URL) names, opened. The composition
// root is the only place that knows the concrete stores.
//
//   --sink sqlite:PATH                  records and state in one SQLite file
//   --sink postgresql://USER:PASS@HOST:PORT/DB   records and state in PostgreSQL
//   --sink s3://BUCKET/PREFIX?endpoint=URL&region=R[&gzip=1]   objects; needs --state
//   --sink file:DIR                     NDJSON files; state in DIR/.genesys-bulk-state.db
//                                       unless --state says otherwise
//   --state sqlite:PATH | postgresql://...   where an object store's ledger lives
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "config/credentials.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"

namespace gb::app {

inline constexpr std::string_view kDefaultSinkUrl = "sqlite:genesys-bulk.db";

// An open store: where chunks land, and the ledger and job registry. For
// SQLite and PostgreSQL both are the same object.
struct Store {
  std::shared_ptr<void> parts;  // what `landing` borrows (an object store): declared first, destroyed last
  std::shared_ptr<sinks::StateStore> state;
  std::shared_ptr<sinks::Landing> landing;
};

// Checks both URLs without opening anything, so bad input fails before
// credentials are read or a server is contacted. `state_url` "" means the
// sink's default. kInvalidInput with one line naming the supported forms.
Status check_store_urls(std::string_view sink_url, std::string_view state_url);

// Opens (creating tables, files or directories as needed) the store.
// `env` gives an S3 sink its credentials (AWS_ACCESS_KEY_ID, ...);
// `temp_dir`, where an S3 sink spools objects too large to hold (empty: the
// system's temp dir, as for spill files).
Result<Store> open_store(std::string_view sink_url, std::string_view state_url,
                         const config::EnvLookup& env = config::process_env(),
                         const std::filesystem::path& temp_dir = {});

// Opens only the state store, for `status`: kInvalidInput "no store at PATH"
// when it would be a SQLite file that does not exist yet (opening would
// create it empty).
Result<std::shared_ptr<sinks::StateStore>> open_existing_state(std::string_view sink_url, std::string_view state_url);

}  // namespace gb::app
