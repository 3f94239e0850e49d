#include "worker/delay_ladder.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace gb::worker {

using std::chrono::milliseconds;

std::vector<milliseconds> default_delay_steps() {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  return {seconds(1), seconds(5), seconds(15), minutes(1), minutes(5), minutes(15), hours(1)};
}

std::string delay_label(milliseconds delay) {
  const auto ms = delay.count();
  if (ms > 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms > 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms > 0 && ms % 1'000 == 0) return std::to_string(ms / 1'000) + "s";
  return std::to_string(ms) + "ms";
}

DelayLadder::DelayLadder(std::string work_queue, std::vector<milliseconds> steps, milliseconds tolerance)
    : work_queue_(std::move(work_queue)), tolerance_(tolerance) {
  if (steps.empty()) throw std::invalid_argument("the delay ladder needs at least one step");
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  if (steps.front().count() <= 0) throw std::invalid_argument("delay steps must be positive");
  for (const auto step : steps) steps_.push_back({step, work_queue_ + ".delay." + delay_label(step)});
}

const DelayStep& DelayLadder::step_for(milliseconds delay) const {
  // The last step whose ttl is <= delay; the first one when none is.
  auto it = std::upper_bound(steps_.begin(), steps_.end(), delay,
                             [](milliseconds d, const DelayStep& step) { return d < step.ttl; });
  return it == steps_.begin() ? steps_.front() : *std::prev(it);
}

Parking DelayLadder::plan(std::optional<WallTime> eta, WallTime now) const {
  if (!eta) return {};
  const auto remaining = std::chrono::ceil<milliseconds>(*eta - now);
  if (remaining <= tolerance_) return {};
  return {&step_for(remaining), remaining};
}

FieldTable DelayLadder::queue_arguments(const DelayStep& step) const {
  return {{"x-message-ttl", FieldValue(static_cast<std::int64_t>(step.ttl.count()))},
          {"x-dead-letter-exchange", FieldValue("")},
          {"x-dead-letter-routing-key", FieldValue(work_queue_)}};
}

void strip_dead_letter_headers(FieldTable& headers) {
  std::erase_if(headers, [](const auto& entry) {
    const std::string_view name = entry.first;
    return name == "x-death" || name.starts_with("x-first-death-") || name.starts_with("x-last-death-");
  });
}

}  // namespace gb::worker
