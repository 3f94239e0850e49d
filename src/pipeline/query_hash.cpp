#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/hash.hpp"
#include "pipeline/export_types.hpp"

namespace gb::pipeline {

std::string query_hash(const api::ExportType& type, const std::string& query_json) {
  // nlohmann's object keeps keys sorted, so dump() is a canonical form.
  auto parsed = nlohmann::json::parse(query_json, nullptr, /*allow_exceptions=*/false);
  const std::string canonical = parsed.is_discarded() ? query_json : parsed.dump();
  const std::string text = type.to_string() + '\n' + canonical;
  // Two differently seeded 64-bit hashes: collisions between a user's few
  // queries are not a practical concern, and no crypto library is needed.
  return fmt::format("{:016x}{:016x}", fnv1a64(text), fnv1a64("genesys-bulk:" + text));
}

const std::vector<std::string>& final_job_states() {
  // "landed" is ours (every record is in the store); the rest are the API's.
  static const std::vector<std::string> states = {"landed", "failed", "cancelled", "FAILED", "CANCELLED", "EXPIRED"};
  return states;
}

bool is_final_job_state(const std::string& state) {
  for (const auto& s : final_job_states()) {
    if (state == s) return true;
  }
  return false;
}

}  // namespace gb::pipeline
