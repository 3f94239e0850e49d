#pragma once
// No exception leaves a thread of the pipeline (std::thread would call
// std::terminate and lose every chunk in flight). Each thread's body runs
// through run_catching, and what was thrown becomes a failed chunk with its
// reason.
#include <exception>
#include <new>
#include <optional>
#include <string>

namespace gb::pipeline::detail {

// Runs `work()`. nullopt when it returned; otherwise one line saying what it
// threw ("out of memory" for std::bad_alloc: short enough for std::string's
// inline buffer, so reporting it allocates nothing). Never throws except when
// even that line cannot be made.
template <class F>
std::optional<std::string> run_catching(F&& work) {
  try {
    work();
    return std::nullopt;
  } catch (const std::bad_alloc&) {
    return std::string("out of memory");
  } catch (const std::exception& e) {
    return std::string("unexpected exception: ") + e.what();
  } catch (...) {
    return std::string("unexpected exception");
  }
}

}  // namespace gb::pipeline::detail
