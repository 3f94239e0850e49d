#pragma once
// Fakes of the worker's ports (worker/ports.hpp, worker/task.hpp) for the
// state-machine tests: what was published and stored is recorded, failures
// are switched on by the test. Not thread-safe (neither are the ports).
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/message.hpp"
#include "worker/ports.hpp"
#include "worker/task.hpp"

namespace gb {

// A codec over headers only, so tests build tasks without celery/: "id",
// "task", "retries", "eta_ms"/"expires_ms" (ms since the epoch), "args" and
// "kwargs" (JSON text), "ignore_result", "timelimit" [hard, soft]; "poison"
// makes decode fail.
class FakeTaskCodec final : public worker::TaskCodec {
 public:
  Result<worker::Task> decode(const Message& m) const override {
    if (find_field(m.headers, "poison") != nullptr) return invalid_input("not a task: poison");
    worker::Task t;
    const auto* id = find_field(m.headers, "id");
    const auto* name = find_field(m.headers, "task");
    if (id == nullptr || id->as_string() == nullptr || name == nullptr || name->as_string() == nullptr) {
      return invalid_input("id or task missing");
    }
    t.id = *id->as_string();
    t.name = *name->as_string();
    if (const auto* v = find_field(m.headers, "retries"); v != nullptr && v->as_int()) t.retries = int(*v->as_int());
    if (const auto* v = find_field(m.headers, "eta_ms"); v != nullptr && v->as_int()) t.eta = at(*v->as_int());
    if (const auto* v = find_field(m.headers, "expires_ms"); v != nullptr && v->as_int()) t.expires = at(*v->as_int());
    if (const auto* v = find_field(m.headers, "args"); v != nullptr && v->as_string()) t.args_json = *v->as_string();
    if (const auto* v = find_field(m.headers, "kwargs"); v != nullptr && v->as_string()) {
      t.kwargs_json = *v->as_string();
    }
    if (const auto* v = find_field(m.headers, "ignore_result"); v != nullptr && v->as_bool())
      t.ignore_result = *v->as_bool();
    if (const auto* v = find_field(m.headers, "timelimit");
        v != nullptr && v->as_array() && v->as_array()->size() == 2) {
      const auto& limits = *v->as_array();
      if (limits[0].as_double()) t.hard_limit_s = *limits[0].as_double();
      if (limits[1].as_double()) t.soft_limit_s = *limits[1].as_double();
    }
    t.reply_to = m.reply_to;
    t.correlation_id = m.correlation_id;
    return t;
  }

  Result<Message> reschedule(const Message& original, int retries, std::optional<worker::WallTime> eta) const override {
    Message m = original;
    worker::strip_dead_letter_headers(m.headers);
    std::erase_if(m.headers, [](const auto& e) { return e.first == "retries" || e.first == "eta_ms"; });
    m.headers.emplace_back("retries", retries);
    if (eta) m.headers.emplace_back("eta_ms", ms(*eta));
    m.persistent = true;
    return m;
  }

  static worker::WallTime at(std::int64_t ms_since_epoch) {
    return worker::WallTime(std::chrono::milliseconds(ms_since_epoch));
  }
  static std::int64_t ms(worker::WallTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
};

class FakePublisher final : public worker::Publisher {
 public:
  struct Published {
    std::string exchange;
    std::string routing_key;
    Message message;
  };
  Status publish(std::string_view exchange, std::string_view routing_key, const Message& message) override {
    if (fail) return transient_error("publisher: connection closed");
    published.push_back({std::string(exchange), std::string(routing_key), message});
    return ok_status();
  }
  std::vector<Published> published;
  bool fail = false;
};

class FakeResultBackend final : public worker::ResultBackend {
 public:
  struct Stored {
    std::string task_id;
    worker::TaskState state;
    std::string result_json;
    std::string reply_to;
    std::string correlation_id;
  };
  Status store(std::string_view task_id, worker::TaskState state, std::string_view result_json,
               std::string_view reply_to, std::string_view correlation_id) override {
    if (fail_states.count(state) != 0) return transient_error("result backend down");
    stored.push_back(
        {std::string(task_id), state, std::string(result_json), std::string(reply_to), std::string(correlation_id)});
    return ok_status();
  }
  std::vector<Stored> stored;
  std::set<worker::TaskState> fail_states;
};

class FakeSliceRunner final : public worker::SliceRunner {
 public:
  bool handles(std::string_view name) const override { return names.count(std::string(name)) != 0; }
  Result<worker::SliceResult> run_slice(const worker::Task& task, const worker::SliceLimits& limits) override {
    seen.push_back(task);
    seen_limits.push_back(limits);
    if (on_run) on_run(limits);
    if (outcomes.empty()) return internal_error("FakeSliceRunner: no outcome queued");
    auto next = std::move(outcomes.front());
    outcomes.pop_front();
    return next;
  }
  worker::JobRef job_ref(const worker::Task& /*task*/) override { return job; }
  worker::JobRef job{"job-1", "users"};
  std::set<std::string> names{"bulk_processor.process_bulk_job_task"};
  std::deque<Result<worker::SliceResult>> outcomes;
  std::vector<worker::Task> seen;
  std::vector<worker::SliceLimits> seen_limits;
  std::function<void(const worker::SliceLimits&)> on_run;  // e.g. the slice takes time, or waits for its cancel
};

}  // namespace gb
