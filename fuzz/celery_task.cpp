// Fuzzes celery::decode_task (a broker message from anyone), the argument
// accessors on what it accepts, encode_task's round trip and parse_iso_time.
//
// Input: 1 mode byte, a line of text (up to the first '\n'), then the body.
//   mode bit 0: protocol-2 headers (else none: protocol 1)
//   mode bit 1: content type with parameters and upper case
//   mode bits 2-3: where the line goes: 0 nowhere, 1 the eta header,
//                  2 the id header, 3 a timelimit built from its bytes
// Checks: errors are kPermanent and one line of at most 400 bytes; an
// accepted task has a valid id and name, args/kwargs that TaskArguments
// parses (unless kwargs name an argument twice), and decodes again from encode_task to the same task; an accepted
// time formats and parses back to itself (to the microsecond).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/ids.hpp"
#include "celery/arguments.hpp"
#include "celery/iso_time.hpp"
#include "celery/task_message.hpp"

namespace {

using gb::celery::TaskRequest;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_error(const gb::Error& error) {
  check(error.kind == gb::ErrorKind::kPermanent);
  check(!error.message.empty() && error.message.size() <= 400);
  check(error.message.find('\n') == std::string::npos && error.message.find('\r') == std::string::npos);
}

gb::Message message_for(std::uint8_t mode, std::string_view line, std::string_view body) {
  gb::Message m;
  m.content_type = (mode & 2) != 0 ? "Application/JSON; charset=utf-8" : "application/json";
  m.content_encoding = "utf-8";
  m.body = std::string(body);
  if ((mode & 1) == 0) return m;
  gb::FieldTable& h = m.headers;
  const int slot = (mode >> 2) & 3;
  h.emplace_back("lang", "py");
  h.emplace_back("task", "bulk_processor.process_bulk_job_task");
  h.emplace_back("id", slot == 2 ? std::string(line) : std::string("task-1"));
  h.emplace_back("eta", slot == 1 ? gb::FieldValue{std::string(line)} : gb::FieldValue{});
  gb::FieldArray limit{gb::FieldValue{}, gb::FieldValue{}};
  if (slot == 3) {
    limit.clear();
    for (const char c : line) {
      if (c == 'n') limit.emplace_back();
      if (c == 'i') limit.emplace_back(static_cast<std::int64_t>(line.size()) - 8);
      if (c == 'd') limit.emplace_back(static_cast<double>(line.size()) / 3.0 - 2.0);
      if (c == 's') limit.emplace_back(std::string(line));
    }
  }
  h.emplace_back("timelimit", limit);
  h.emplace_back("retries", static_cast<std::int64_t>(line.size()));
  return m;
}

void check_task(const TaskRequest& task) {
  check(gb::is_valid_task_id(task.id));
  check(!task.task.empty() && task.task.size() <= gb::celery::kMaxTaskNameBytes);

  // decode_task leaves kwargs naming one argument twice to TaskArguments.
  auto args = gb::celery::TaskArguments::of(task);
  if (!args.ok()) {
    check_error(args.error());
    check(args.error().message.find("given twice") != std::string::npos);
  } else {
    for (std::size_t position = 0; position < 3; ++position) {
      const gb::celery::Parameter p{position, position == 0 ? "job_id" : "query"};
      auto s = args->string(p);
      if (!s.ok()) check_error(s.error());
      auto o = args->json_object(p);
      if (!o.ok()) check_error(o.error());
    }
  }

  auto again = gb::celery::decode_task(gb::celery::encode_task(task));
  check(again.ok());
  TaskRequest expected = task;
  expected.protocol = gb::celery::Protocol::kV2;
  if (expected.root_id.empty()) expected.root_id = expected.id;
  if (expected.correlation_id.empty()) expected.correlation_id = expected.id;
  if (expected.argsrepr.empty()) expected.argsrepr = again->argsrepr;
  if (expected.kwargsrepr.empty()) expected.kwargsrepr = again->kwargsrepr;
  // Times travel with microseconds, as in Python.
  for (auto* t : {&expected.eta, &expected.expires}) {
    if (*t) (*t)->at = std::chrono::floor<std::chrono::microseconds>((*t)->at);
  }
  check(*again == expected);
}

void check_time(std::string_view text) {
  auto t = gb::celery::parse_iso_time(text);
  if (!t.ok()) {
    check(t.error().message.find('\n') == std::string::npos && t.error().message.size() <= 200);
    return;
  }
  auto back = gb::celery::parse_iso_time(gb::celery::format_iso_time(*t));
  check(back.ok());
  check(back->offset == t->offset);
  check(back->at == std::chrono::floor<std::chrono::microseconds>(t->at));
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t newline = rest.find('\n');
  const std::string_view line = newline == std::string_view::npos ? std::string_view() : rest.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? rest : rest.substr(newline + 1);

  check_time(line);
  auto task = gb::celery::decode_task(message_for(data[0], line, body));
  if (task.ok()) {
    check_task(*task);
  } else {
    check_error(task.error());
  }
  return 0;
}
