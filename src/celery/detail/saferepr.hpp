#pragma once
// Python's repr of JSON values, as Celery writes a task's argsrepr and
// kwargsrepr headers: celery.utils.saferepr.saferepr(args, maxlen=1024),
// with its quirks (quotes escaped but nothing else, three levels deep then
// "[...]", cut at maxlen characters ending in ", ..." without the closing
// bracket that was next), so that our messages match a Python producer's.
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::celery::detail {

inline constexpr std::size_t kReprMaxLen = 1024;  // Celery's argsrepr_maxsize

// saferepr() of the value `json` holds (a JSON array is shown as a Python
// list). kInvalidInput when `json` is not valid JSON.
Result<std::string> saferepr_json(std::string_view json, std::size_t maxlen = kReprMaxLen);

// Python's repr() of a float: the shortest digits that round-trip,
// exponent form below 1e-4 and from 1e16 on ("1e-05", "1e+16", "0.25", "3.0").
std::string python_float_repr(double value);

}  // namespace gb::celery::detail
