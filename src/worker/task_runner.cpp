#include "worker/task_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

#include "worker/detail/iso_time.hpp"
#include "worker/detail/result_json.hpp"
#include "worker/slice_watch.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using Action = Handled::Action;
using Disposition = Handled::Disposition;

Handled acked(const Task& task, Action action, std::string detail) {
  return {Disposition::kAck, action, task.id, std::move(detail)};
}

Handled handed_back(std::string task_id, std::string detail) {
  return {Disposition::kRequeue, Action::kHandedBack, std::move(task_id), std::move(detail)};
}

std::optional<WallTime> first_seen_of(const Message& message) {
  const FieldValue* value = find_field(message.headers, kFirstSeenHeader);
  if (value == nullptr || value->as_string() == nullptr) return std::nullopt;
  return detail::parse_utc_ms(*value->as_string());
}

void set_header(FieldTable& headers, std::string_view name, FieldValue value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

// The exception Python's get() raises for a dead-lettered task.
struct PythonException {
  const char* type;
  const char* module;
};

// builtins and celery.exceptions are loaded in every producer: Python raises
// the real class, which callers can catch.
PythonException exception_for(const Error& error, bool retries_exhausted) {
  if (retries_exhausted) return {"MaxRetriesExceededError", "celery.exceptions"};
  if (error.kind == ErrorKind::kInvalidInput) return {"TypeError", "builtins"};  // bad arguments, as Python says
  return {"RuntimeError", "builtins"};
}

}  // namespace

const char* to_string(Handled::Action action) {
  switch (action) {
    case Action::kSucceeded: return "succeeded";
    case Action::kRevoked: return "revoked";
    case Action::kParked: return "parked";
    case Action::kContinued: return "continued";
    case Action::kRetried: return "retried";
    case Action::kDeadLettered: return "dead-lettered";
    case Action::kHandedBack: return "handed back";
  }
  return "handed back";
}

TaskRunner::TaskRunner(RunnerSettings settings, const TaskCodec& codec, SliceRunner& slices, Publisher& publisher,
                       ResultBackend& results, const RetryPolicy& retry, const DelayLadder& ladder, const Clock& clock,
                       WallClock wall)
    : settings_(std::move(settings)),
      codec_(codec),
      slices_(slices),
      publisher_(publisher),
      results_(results),
      retry_(retry),
      ladder_(ladder),
      clock_(clock),
      wall_(std::move(wall)) {}

void TaskRunner::set_connection_service(std::function<void()> service, milliseconds interval) {
  service_ = std::move(service);
  service_interval_ = interval;
}

std::optional<milliseconds> TaskRunner::hard_limit(const Message& message) const {
  auto task = codec_.decode(message);
  if (!task) return settings_.limits.hard;
  return slice_times(*task, settings_.limits).hard;
}

Handled TaskRunner::handle(const Message& message) {
  const WallTime now = wall_();
  const WallTime first_seen = first_seen_of(message).value_or(now);
  auto decoded = codec_.decode(message);
  if (!decoded) {
    return dead_letter(nullptr, message, decoded.error(), "undecodable", first_seen, "", "");
  }
  const Task& task = *decoded;
  if (task.expires && now > *task.expires) {
    // Celery's answer to an expired task: REVOKED with TaskRevokedError, ack.
    const Error expired = permanent_error("expired at " + detail::format_utc_ms(*task.expires));
    if (settings_.dead_letter_expired) {
      Handled h = dead_letter(&task, message, expired, "expired", first_seen, "TaskRevokedError", "celery.exceptions",
                              TaskState::kRevoked);
      if (h.disposition == Disposition::kAck) h.action = Action::kRevoked;
      return h;
    }
    if (!store(task, TaskState::kRevoked, detail::exception_json("TaskRevokedError", "celery.exceptions", "expired"))) {
      return handed_back(task.id, "storing REVOKED failed");
    }
    return acked(task, Action::kRevoked, expired.message);
  }
  if (ladder_.plan(task.eta, now).step != nullptr) {
    return later(task, message, task.retries, task.eta, Action::kParked, "eta in the future", first_seen);
  }
  if (!slices_.handles(task.name)) {
    return dead_letter(&task, message, invalid_input("unknown task " + task.name), "unknown task", first_seen,
                       "NotRegistered", "celery.exceptions");
  }
  return run(task, message, first_seen);
}

Handled TaskRunner::dead_letter_unreadable(const Message& message, const std::string& reason) {
  const WallTime now = wall_();
  return dead_letter(nullptr, message, invalid_input(reason), "unreadable", first_seen_of(message).value_or(now), "",
                     "");
}

Handled TaskRunner::run(const Task& task, const Message& message, WallTime first_seen) {
  if (settings_.track_started && !first_seen_of(message)) {
    // Informational: a failure to store it does not stop the work.
    [[maybe_unused]] const Status started =
        store(task, TaskState::kStarted, detail::started_json(settings_.worker_pid, settings_.worker_host));
  }
  const SliceTimes times = slice_times(task, settings_.limits);
  std::optional<StopSignal> cancel;  // one per slice: a requested StopSignal stays requested
  try {
    cancel.emplace();
  } catch (const std::exception& e) {  // out of file descriptors: try again later
    return handed_back(task.id, e.what());
  }
  bool soft_limit_passed = false;
  auto outcome = [&] {
    SliceWatch watch(*cancel, times.soft, service_, service_interval_);
    auto result = slices_.run_slice(task, SliceLimits{clock_.now() + times.budget, &*cancel});
    soft_limit_passed = watch.fired();
    return result;
  }();
  if (!outcome) {
    if (soft_limit_passed && outcome.error().kind == ErrorKind::kInterrupted) {
      // Celery's SoftTimeLimitExceeded: a failure worth a retry, not a stop.
      return after_failure(task, message,
                           transient_error(fmt::format("soft time limit of {} ms exceeded", times.soft->count())),
                           first_seen);
    }
    return after_failure(task, message, outcome.error(), first_seen);
  }
  switch (outcome->kind) {
    case SliceResult::Kind::kFinished: {
      // The task's whole life, across continuations and retries.
      SliceResult summary = *outcome;
      summary.duration_s = std::chrono::duration<double>(wall_() - first_seen).count();
      if (!store(task, TaskState::kSuccess, detail::summary_json(summary))) {
        return handed_back(task.id, "storing SUCCESS failed");
      }
      return acked(task, Action::kSucceeded, fmt::format("job {} {}", outcome->job_id, outcome->state));
    }
    case SliceResult::Kind::kJobRunning: {
      // Never sooner than the ladder's first step: a job polled in a hot loop
      // would cost the API and the broker for nothing.
      const milliseconds delay = std::max(outcome->next_poll, ladder_.steps().front().ttl);
      return later(task, message, task.retries, wall_() + delay, Action::kContinued,
                   fmt::format("job {} running, poll in {} ms", outcome->job_id, delay.count()), first_seen);
    }
    case SliceResult::Kind::kMoreToLand: {
      return later(task, message, task.retries, std::nullopt, Action::kContinued,
                   fmt::format("job {}: more to land", outcome->job_id), first_seen);
    }
  }
  return handed_back(task.id, "unknown slice outcome");
}

Handled TaskRunner::after_failure(const Task& task, const Message& message, const Error& error, WallTime first_seen) {
  const RetryDecision decision = retry_.decide(error, task.retries);
  switch (decision.kind) {
    case RetryDecision::Kind::kRequeue: return handed_back(task.id, decision.reason);
    case RetryDecision::Kind::kDeadLetter: {
      const bool exhausted = !is_permanent(error);
      const PythonException exc = exception_for(error, exhausted);
      return dead_letter(&task, message, error, exhausted ? "max retries" : to_string(error.kind), first_seen, exc.type,
                         exc.module);
    }
    case RetryDecision::Kind::kRetry: {
      Handled h = later(task, message, task.retries + 1, wall_() + decision.delay, Action::kRetried,
                        fmt::format("retry {} in {} ms: {}", task.retries + 1, decision.delay.count(), decision.reason),
                        first_seen);
      if (h.disposition == Disposition::kAck &&
          // Celery stores the cause of a retry as its result (handle_retry: reason.exc).
          !store(task, TaskState::kRetry, detail::exception_json("RuntimeError", "builtins", decision.reason))) {
        h.detail += " (storing RETRY failed)";  // informational state: the retry stands
      }
      return h;
    }
  }
  return handed_back(task.id, decision.reason);
}

Handled TaskRunner::later(const Task& task, const Message& message, int retries, std::optional<WallTime> eta,
                          Action action, std::string detail, WallTime first_seen) {
  const Parking parking = ladder_.plan(eta, wall_());
  const std::string& queue = parking.step != nullptr ? parking.step->queue : ladder_.work_queue();
  auto next = codec_.reschedule(message, retries, eta);
  if (!next) return handed_back(task.id, "cannot re-encode the task: " + next.error().describe());
  set_header(next->headers, kFirstSeenHeader, FieldValue(detail::format_utc_ms(first_seen)));
  const Status published = publisher_.publish("", queue, *next);
  if (!published) return handed_back(task.id, "publishing to " + queue + " failed: " + published.error().describe());
  return acked(task, action, std::move(detail) + " -> " + queue);
}

Handled TaskRunner::dead_letter(const Task* task, const Message& message, const Error& error, std::string error_kind,
                                WallTime first_seen, std::string_view exc_type, std::string_view exc_module,
                                TaskState state) {
  DeadLetter letter;
  if (task != nullptr) {
    letter.task_id = task->id;
    letter.task_name = task->name;
    letter.args_json = task->args_json;
    letter.kwargs_json = task->kwargs_json;
    letter.retries = task->retries;
    JobRef job = slices_.job_ref(*task);
    letter.job_id = std::move(job.job_id);
    letter.job_type = std::move(job.job_type);
  }
  letter.reason = error.describe();
  letter.error_kind = std::move(error_kind);
  letter.http_status = error.http_status != 0 ? error.http_status : error.last_http_status;
  letter.correlation_id = error.correlation_id;
  letter.first_seen = first_seen;
  letter.last_seen = wall_();
  letter.worker_host = settings_.worker_host;
  letter.worker_pid = settings_.worker_pid;
  letter.queue = ladder_.work_queue();
  letter.original = message;
  strip_dead_letter_headers(letter.original.headers);
  const std::string dlq = dead_letter_queue(ladder_.work_queue());
  const Status published = publisher_.publish("", dlq, dead_letter_message(letter));
  if (!published) {
    return handed_back(letter.task_id, "publishing to " + dlq + " failed: " + published.error().describe());
  }
  if (task != nullptr && !store(*task, state, detail::exception_json(exc_type, exc_module, letter.reason))) {
    // Handed back so that the producer gets its answer on redelivery (which
    // may dead-letter the task a second time: at-least-once).
    return handed_back(task->id, std::string("storing ") + to_string(state) + " failed");
  }
  Handled h{Disposition::kAck, Action::kDeadLettered, letter.task_id, letter.reason + " -> " + dlq};
  return h;
}

Status TaskRunner::store(const Task& task, TaskState state, const std::string& result_json) {
  if (task.ignore_result) return ok_status();
  return results_.store(task.id, state, result_json, task.reply_to, task.correlation_id);
}

}  // namespace gb::worker
