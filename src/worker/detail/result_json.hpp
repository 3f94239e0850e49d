#pragma once
// The "result" member of Celery result documents the worker stores: a job's
// summary on SUCCESS, an exception on FAILURE / RETRY / REVOKED in Celery's
// {"exc_type", "exc_message", "exc_module"} shape. Python rebuilds the
// exception from exc_module when that module is loaded in the producer
// (builtins, celery.exceptions), else under celery.exceptions by name.
#include <cstdint>
#include <string>
#include <string_view>

#include "worker/ports.hpp"

namespace gb::worker::detail {

std::string summary_json(const SliceResult& result);
std::string exception_json(std::string_view exc_type, std::string_view exc_module, std::string_view message);
// STARTED's result, as Celery's worker sends it: {"pid": N, "hostname": "..."}.
std::string started_json(std::int64_t pid, std::string_view hostname);

}  // namespace gb::worker::detail
