#include "sample_records.hpp"

#include <fmt/format.h>

namespace gb::bench {

std::uint64_t SampleRecords::next() {
  // splitmix64: fast, and good enough to make keys look random.
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string SampleRecords::uuid() {
  const std::uint64_t a = next();
  const std::uint64_t b = next();
  return fmt::format("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52,
                     b & 0xffffffffffffULL);
}

std::string SampleRecords::conversation(const std::string& key, std::size_t target) {
  static const char* const kPurposes[] = {"customer", "agent", "acd", "ivr"};
  static const char* const kMedia[] = {"voice", "chat", "email", "message"};
  static const char* const kNames[] = {"Zoë Ångström", "李小龙", "José Müller", "Amélie Poulain 😀", "Ólafur"};
  std::string out;
  out.reserve(target + 1024);
  out += fmt::format(R"({{"conversationId":"{}","conversationStart":"2026-11-0{}T10:{:02}:00.000Z",)"
                     R"("conversationEnd":"2026-11-0{}T11:{:02}:30.000Z","originatingDirection":"inbound",)"
                     R"("divisionIds":["{}"],"participants":[)",
                     key, next() % 9 + 1, next() % 60, next() % 9 + 1, next() % 60, uuid());
  for (int p = 0; out.size() < target; ++p) {
    if (p > 0) out += ',';
    out += fmt::format(R"({{"participantId":"{}","participantName":"{}","purpose":"{}","userId":"{}","sessions":[)",
                       uuid(), kNames[next() % 5], kPurposes[next() % 4], uuid());
    out += fmt::format(R"({{"sessionId":"{}","mediaType":"{}","direction":"inbound","ani":"tel:+1555{:07}",)"
                       R"("dnis":"tel:+1800{:07}","segments":[)",
                       uuid(), kMedia[next() % 4], next() % 10'000'000, next() % 10'000'000);
    for (int s = 0; s < 3; ++s) {
      out += fmt::format(R"({}{{"segmentStart":"2026-11-01T10:{:02}:00.000Z","segmentEnd":"2026-11-01T10:{:02}:59.000Z",)"
                         R"("segmentType":"interact","queueId":"{}","disconnectType":"peer","wrapUpCode":"{}"}})",
                         s == 0 ? "" : ",", next() % 60, next() % 60, uuid(), uuid());
    }
    out += R"(],"metrics":[)";
    for (int m = 0; m < 3; ++m) {
      out += fmt::format(R"({}{{"name":"tTalk","value":{},"emitDate":"2026-11-01T10:{:02}:00.000Z"}})", m == 0 ? "" : ",",
                         next() % 600'000, next() % 60);
    }
    out += "]}]}";
  }
  out += "]}";
  return out;
}

}  // namespace gb::bench
