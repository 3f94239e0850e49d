#include "resilience/patience.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace gb::resilience {
namespace {

using std::chrono::milliseconds;

// What failed, without the kind ("HTTP 503: get job status: ..."): the
// ending Error says it is transient already.
std::string what_failed(const Error& e) {
  std::string out = e.http_status != 0 ? fmt::format("HTTP {}: {}", e.http_status, e.message) : e.message;
  if (!e.correlation_id.empty()) out += fmt::format(" (correlation {})", e.correlation_id);
  return out;
}

}  // namespace

std::string human_duration(milliseconds d) {
  const auto s = std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::seconds>(d).count());
  if (s >= 86400) return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Patience::Patience(milliseconds max_outage, const Clock& clock) : max_outage_(max_outage), clock_(clock) {
  if (max_outage_ <= milliseconds::zero()) throw std::invalid_argument("patience: max_outage must be > 0");
}

void Patience::succeeded() {
  std::lock_guard lock(mutex_);
  outage_since_.reset();
  last_answer_.reset();
}

void Patience::failed() {
  std::lock_guard lock(mutex_);
  if (!outage_since_) outage_since_ = clock_.now();
}

bool Patience::in_outage() const {
  std::lock_guard lock(mutex_);
  return outage_since_.has_value();
}

void Patience::reset() {
  std::lock_guard lock(mutex_);
  outage_since_.reset();
  last_answer_.reset();
  spent_.reset();
}

std::optional<Error> Patience::spent() const {
  std::lock_guard lock(mutex_);
  return spent_;
}

Result<milliseconds> Patience::before_retry(const Error& error, milliseconds delay) {
  std::lock_guard lock(mutex_);
  if (spent_) return *spent_;
  if (error.http_status != 0) last_answer_ = error;
  const SteadyTime now = clock_.now();
  const auto lasted = outage_since_ ? std::chrono::floor<milliseconds>(now - *outage_since_) : milliseconds::zero();
  const milliseconds left = max_outage_ - lasted;
  if (left <= milliseconds::zero()) {
    return give_up_locked(error, fmt::format("every API call has failed for {} (--max-outage {}); the last: {}",
                                             human_duration(std::chrono::floor<std::chrono::seconds>(lasted)),
                                             human_duration(max_outage_), what_failed(culprit_locked(error))));
  }
  // Only the server's own ask ends the run early; our breaker's cool-down
  // (a refusal, no status) is cut to what is left like any backoff.
  if (error.retry_after && error.http_status != 0 && *error.retry_after > left) {
    return give_up_locked(error, fmt::format("the server asked to wait {} before trying again, more than the {} "
                                             "left of --max-outage ({})",
                                             human_duration(*error.retry_after), human_duration(left),
                                             what_failed(culprit_locked(error))));
  }
  return std::clamp(delay, milliseconds::zero(), left);
}

const Error& Patience::culprit_locked(const Error& latest) const {
  return latest.http_status == 0 && last_answer_ && outage_since_ ? *last_answer_ : latest;
}

Error Patience::give_up_locked(const Error& last, std::string message) {
  Error e = transient_error(std::move(message) + "; run the same command again to resume");
  e.retry_after = last.retry_after;
  e.last_http_status = culprit_locked(last).http_status;
  spent_ = e;
  return e;
}

}  // namespace gb::resilience
