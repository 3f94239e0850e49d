#include "worker/task.hpp"

namespace gb::worker {

const FieldValue* argument(const Task& task, std::size_t position, std::string_view name) {
  if (position < task.args.size()) return &task.args[position];
  return find_field(task.kwargs, name);
}

}  // namespace gb::worker
