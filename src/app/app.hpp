#pragma once
// The composition root: the only place that names concrete types. Each
// run_* builds what its command needs from settings, runs it, and returns an
// Error with one line for the user when it did not fully succeed.
#include <cstdio>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "config/credentials.hpp"
#include "config/settings.hpp"
#include "pipeline/pipeline.hpp"

namespace gb::app {

struct ExportOptions {
  config::Settings settings;     // hosts and tunables; credentials are loaded by run_export
  std::string credentials_file;  // empty: GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET
  std::string type;              // conversations | users | bulk:<jobType>
  std::string interval;          // START/END (ISO 8601), the job's interval
  std::string query_file;        // a JSON object: the whole query / filter
  std::string job_id;            // adopt this job instead of creating one
  std::string sink_url = "sqlite:genesys-bulk.db";
  std::string state_url;  // empty: the sink's default (store_url.hpp)
  std::string spill_dir;  // empty: the system's temp dir
  bool progress = true;   // a bar on a terminal, lines otherwise (stderr)
  bool compress = true;   // ask for gzip bodies (off: identity, cheaper over loopback/LAN)
};

// The pipeline's settings from the process settings.
pipeline::PipelineSettings pipeline_settings(const config::Settings& settings);

// The query body for `options` (from --query FILE, --interval, or "{}" for a
// bulk job); kInvalidInput with one line when it cannot be made.
Result<std::string> export_query(const ExportOptions& options, const api::ExportType& type);

// `genesys-bulk export`. Ok only when every record landed or is quarantined.
Result<pipeline::ExportOutcome> run_export(const ExportOptions& options,
                                           const config::EnvLookup& env = config::process_env());

// `genesys-bulk status`: writes jobs, their chunks, states, counts and errors
// to `out`.
Status run_status(const std::string& sink_url, const std::string& state_url, const std::optional<std::string>& job_id,
                  std::FILE* out);

struct DemoOptions {
  std::string db_path = "genesys-bulk-demo.db";  // removed first: every demo starts fresh
  std::uint64_t seed = 7;
  bool progress = true;
};

// `genesys-bulk demo`: the simulator in-process with faults on, jobs of every
// kind exported into db_path, and a summary comparing what landed with what
// the simulator says it served. Error when anything does not match.
Status run_demo(const DemoOptions& options, std::FILE* out);

}  // namespace gb::app
