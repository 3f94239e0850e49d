#pragma once
// What landed, checked against what the simulator served: used by `demo` to
// print its summary and by the tests to assert exact sets. In detail/ because
// it names simulator types, which app/'s dependants (cli/) may not see.
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "simulator/simulator.hpp"
#include "sinks/landing.hpp"

namespace gb::app {

using LandedSet = sinks::LandedKeys;

// Reads one job's landed keys and quarantine count back from any store.
Result<LandedSet> read_landed(sinks::Landing& landing, const std::string& job_id);

// The same from a SQLite file (read-only, its own connection: any thread).
// kInvalidInput when the file cannot be opened.
Result<LandedSet> read_landed(const std::string& db_path, const std::string& job_id);

struct JobCheck {
  std::uint64_t expected = 0;        // records the simulator holds for the job
  std::uint64_t landed = 0;          // record rows
  std::uint64_t quarantined = 0;     // quarantine rows
  std::uint64_t duplicates = 0;      // landed rows whose key landed before
  std::uint64_t unexpected = 0;      // landed keys the job does not have
  std::uint64_t missing = 0;         // expected keys neither landed nor accounted for by the quarantine
  std::uint64_t flawed_missing = 0;  // expected keys not landed whose record the simulator made flawed
  std::string expected_checksum;     // of all expected keys (as /__sim/stats)
  std::string landed_checksum;       // of the landed keys plus the flawed-and-quarantined ones

  // Every expected record landed once or sits in the quarantine, nothing else.
  bool exact() const {
    return duplicates == 0 && unexpected == 0 && missing == 0 && flawed_missing == quarantined &&
           landed + quarantined == expected;
  }
  std::string summary() const;
};

// Compares `landed` with the simulator's expected keys for the job. A key
// that did not land counts as accounted for only if the simulator flawed that
// record (malformed, invalid UTF-8, ...) and the quarantine holds as many rows.
JobCheck check_job(const simulator::Server& server, const std::string& job_id, const LandedSet& landed);

}  // namespace gb::app
