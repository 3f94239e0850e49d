#pragma once
// Realistic records for the store benchmark: AnalyticsConversation-shaped
// JSON (participants, sessions, segments, metrics) of about 3-4 KB, with
// UUID keys in random order, as the API returns them. Deterministic per seed.
#include <cstdint>
#include <string>

namespace gb::bench {

class SampleRecords {
 public:
  explicit SampleRecords(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  // A UUID-shaped key, fresh for each call.
  std::string uuid();
  // One conversation record with that key, `target` bytes or a little more.
  std::string conversation(const std::string& key, std::size_t target);
  std::uint64_t next();

 private:
  std::uint64_t state_;
};

}  // namespace gb::bench
