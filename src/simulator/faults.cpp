#include "simulator/faults.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace gb::simulator {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double unit_interval(std::uint64_t hash) {
  return static_cast<double>(hash >> 11) * 0x1.0p-53;
}

Result<FaultRate> parse_fault_rate(std::string_view text) {
  FaultRate rate;
  if (text.empty() || text.size() > 32) return invalid_input("fault rate must be a probability (0.05) or a count (3)");
  const bool is_fraction =
      text.find('.') != std::string_view::npos || text.find_first_of("eE") != std::string_view::npos;
  if (!is_fraction) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return invalid_input("fault rate '" + std::string(text) + "' is neither a probability nor a count");
    }
    rate.count = n;
    return rate;
  }
  double p = 0;
  try {
    std::size_t used = 0;
    p = std::stod(std::string(text), &used);
    if (used != text.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return invalid_input("fault rate '" + std::string(text) + "' is not a number");
  }
  if (!(p >= 0.0 && p <= 1.0)) return invalid_input("fault probability '" + std::string(text) + "' is not in [0, 1]");
  rate.probability = p;
  return rate;
}

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kTooManyRequests: return "too_many_requests";
    case FaultKind::kServerError: return "server_error";
    case FaultKind::kRevokeToken: return "revoke_token";
    case FaultKind::kForbidden: return "forbidden";
    case FaultKind::kSlow: return "slow";
    case FaultKind::kResetMidBody: return "reset_mid_body";
    case FaultKind::kTruncatedBody: return "truncated_body";
    case FaultKind::kJobFailed: return "job_failed";
    case FaultKind::kJobCancelled: return "job_cancelled";
    case FaultKind::kJobExpired: return "job_expired";
    case FaultKind::kCount: break;
  }
  return "unknown";
}

FaultScheduler::FaultScheduler(const Faults& f, std::uint64_t seed) : seed_(seed) {
  auto set = [this](FaultKind k, const FaultRate& r) { rates_[static_cast<std::size_t>(k)] = r; };
  set(FaultKind::kTooManyRequests, f.too_many_requests);
  set(FaultKind::kServerError, f.server_error);
  set(FaultKind::kRevokeToken, f.revoke_token);
  set(FaultKind::kForbidden, f.forbidden);
  set(FaultKind::kSlow, f.slow);
  set(FaultKind::kResetMidBody, f.reset_mid_body);
  set(FaultKind::kTruncatedBody, f.truncated_body);
  set(FaultKind::kJobFailed, f.job_failed);
  set(FaultKind::kJobCancelled, f.job_cancelled);
  set(FaultKind::kJobExpired, f.job_expired);
}

bool FaultScheduler::fire(FaultKind kind) {
  const auto k = static_cast<std::size_t>(kind);
  const FaultRate& rate = rates_[k];
  if (!rate.active()) return false;
  std::lock_guard lock(mutex_);
  const std::uint64_t n = events_[k]++;
  bool hit = n < rate.count;
  if (!hit && rate.probability > 0.0) {
    hit = unit_interval(mix64(seed_ ^ mix64((static_cast<std::uint64_t>(k) << 56) ^ n))) < rate.probability;
  }
  if (hit) ++fired_[k];
  return hit;
}

std::uint64_t FaultScheduler::fired(FaultKind kind) const {
  std::lock_guard lock(mutex_);
  return fired_[static_cast<std::size_t>(kind)];
}

}  // namespace gb::simulator
