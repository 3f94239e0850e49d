#include "worker/dlq_admin.hpp"

namespace gb::worker {
namespace {

// Hands back every delivery still held; the first failure is what is said.
Status hand_back(QueueReader& reader, const std::vector<std::uint64_t>& tags) {
  Status first = ok_status();
  for (const auto tag : tags) {
    auto rejected = reader.reject(tag, true);
    if (!rejected && first.ok()) first = std::move(rejected);
  }
  return first;
}

// Reads until `task_id` is found (or, with an empty id, up to the limit),
// keeping every tag held in `held`.
Result<std::optional<Delivery>> find(QueueReader& reader, std::string_view task_id, std::size_t scan_limit,
                                     std::vector<std::uint64_t>& held) {
  while (held.size() < scan_limit) {
    auto next = reader.get();
    if (!next) return std::move(next).error();
    if (!next->has_value()) break;
    held.push_back((*next)->tag);
    if ((*next)->message.message_id == task_id) return std::move(*next);
  }
  return std::optional<Delivery>();
}

Error not_found(std::string_view task_id, std::size_t scan_limit) {
  return invalid_input("no dead letter for task " + std::string(task_id) + " among the first " +
                       std::to_string(scan_limit));
}

}  // namespace

Result<std::vector<DeadLetterEntry>> list_dead_letters(QueueReader& reader, std::size_t limit) {
  std::vector<DeadLetterEntry> entries;
  std::vector<std::uint64_t> held;
  while (held.size() < limit) {
    auto next = reader.get();
    if (!next) {
      (void)hand_back(reader, held);
      return std::move(next).error();
    }
    if (!next->has_value()) break;
    held.push_back((*next)->tag);
    entries.push_back({(*next)->message.message_id, parse_dead_letter((*next)->message.body)});
  }
  if (auto back = hand_back(reader, held); !back) return std::move(back).error();
  return entries;
}

Result<DeadLetter> show_dead_letter(QueueReader& reader, std::string_view task_id, std::size_t scan_limit) {
  std::vector<std::uint64_t> held;
  auto found = find(reader, task_id, scan_limit, held);
  const Status back = hand_back(reader, held);
  if (!found) return std::move(found).error();
  if (!found->has_value()) return not_found(task_id, scan_limit);
  if (!back) return back.error();
  return parse_dead_letter((*found)->message.body);
}

Result<DeadLetter> replay_dead_letter(QueueReader& reader, Publisher& publisher, const TaskCodec& codec,
                                      std::string_view task_id, std::size_t scan_limit) {
  std::vector<std::uint64_t> held;
  auto found = find(reader, task_id, scan_limit, held);
  const auto fail = [&](Error error) -> Result<DeadLetter> {
    (void)hand_back(reader, held);
    return error;
  };
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return fail(not_found(task_id, scan_limit));
  const std::uint64_t tag = (*found)->tag;
  auto letter = parse_dead_letter((*found)->message.body);
  if (!letter) return fail(std::move(letter).error());
  auto message = replay_message(*letter);
  if (!message && !letter->body_truncated) message = codec.reschedule(letter->original, 0, std::nullopt);
  if (!message) return fail(std::move(message).error());
  if (auto published = publisher.publish("", letter->queue, *message); !published) {
    return fail(std::move(published).error());
  }
  std::erase(held, tag);
  const Status acked = reader.ack(tag);
  const Status back = hand_back(reader, held);
  if (!acked) return acked.error();  // re-published but still dead-lettered: a second replay would run it twice
  if (!back) return back.error();
  return letter;
}

}  // namespace gb::worker
