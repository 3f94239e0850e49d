#include "app/detail/verify.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "sinks/sqlite/sqlite_reader.hpp"

namespace gb::app {

Result<LandedSet> read_landed(sinks::Landing& landing, const std::string& job_id) {
  return landing.read_landed_keys(job_id);
}

Result<LandedSet> read_landed(const std::string& db_path, const std::string& job_id) {
  return sinks::read_landed_keys(db_path, job_id);
}

JobCheck check_job(const simulator::Server& server, const std::string& job_id, const LandedSet& landed) {
  JobCheck check;
  const std::vector<std::string> expected = server.expected_keys(job_id);
  const auto params = server.data_params(job_id);
  check.expected = expected.size();
  check.landed = landed.keys.size();
  check.quarantined = landed.quarantined;
  check.expected_checksum = simulator::checksum_hex(simulator::key_checksum(expected));

  std::unordered_map<std::string, std::uint64_t> index;
  index.reserve(expected.size());
  for (std::uint64_t i = 0; i < expected.size(); ++i) index.emplace(expected[i], i);
  std::unordered_set<std::string> seen;
  seen.reserve(landed.keys.size());
  simulator::KeyChecksum sum;
  for (const auto& key : landed.keys) {
    if (!seen.insert(key).second) {
      ++check.duplicates;
    } else if (index.count(key) == 0) {
      ++check.unexpected;
    }
    sum.add(key);
  }
  for (std::uint64_t i = 0; i < expected.size(); ++i) {
    if (seen.count(expected[i]) != 0) continue;
    if (params.ok() && simulator::flaw_of(*params, i) != simulator::Flaw::kNone) {
      ++check.flawed_missing;
      sum.add(expected[i]);
    } else {
      ++check.missing;
    }
  }
  check.landed_checksum = sum.hex();
  return check;
}

std::string JobCheck::summary() const {
  if (exact()) {
    return fmt::format(
        "all {} expected records landed ({} stored + {} quarantined with their reason), "
        "0 duplicates, key checksum {} matches",
        expected, landed, quarantined, landed_checksum);
  }
  return fmt::format(
      "MISMATCH: expected {}, stored {}, quarantined {}, duplicates {}, unexpected {}, missing {}, "
      "flawed not stored {}; key checksum {} vs expected {}",
      expected, landed, quarantined, duplicates, unexpected, missing, flawed_missing, landed_checksum,
      expected_checksum);
}

}  // namespace gb::app
