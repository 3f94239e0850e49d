#pragma once
// A broker message as plain data: what celery/ encodes and decodes and what
// amqp/ carries, so that neither needs the other. Values mirror AMQP 0-9-1
// field tables (RabbitMQ's dialect), which is how Celery's headers travel:
// Python's None is a void field, lists are arrays, ints any width.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gb {

struct FieldValue;
using FieldArray = std::vector<FieldValue>;
// Entries in wire order; a key normally appears once.
using FieldTable = std::vector<std::pair<std::string, FieldValue>>;

struct FieldValue {
  std::variant<std::monostate, bool, std::int64_t, double, std::string, FieldArray, FieldTable> value;

  FieldValue() = default;
  FieldValue(bool b) : value(b) {}          // NOLINT(google-explicit-constructor): reads like the literal it holds
  FieldValue(std::int64_t i) : value(i) {}  // NOLINT(google-explicit-constructor)
  FieldValue(int i) : value(static_cast<std::int64_t>(i)) {}  // NOLINT(google-explicit-constructor)
  FieldValue(double d) : value(d) {}                          // NOLINT(google-explicit-constructor)
  FieldValue(std::string s) : value(std::move(s)) {}          // NOLINT(google-explicit-constructor)
  FieldValue(const char* s) : value(std::string(s)) {}        // NOLINT(google-explicit-constructor)
  FieldValue(FieldArray a) : value(std::move(a)) {}           // NOLINT(google-explicit-constructor)
  FieldValue(FieldTable t) : value(std::move(t)) {}           // NOLINT(google-explicit-constructor)

  bool is_void() const { return std::holds_alternative<std::monostate>(value); }
  const bool* as_bool() const { return std::get_if<bool>(&value); }
  const std::int64_t* as_int() const { return std::get_if<std::int64_t>(&value); }
  const double* as_double() const { return std::get_if<double>(&value); }
  const std::string* as_string() const { return std::get_if<std::string>(&value); }
  const FieldArray* as_array() const { return std::get_if<FieldArray>(&value); }
  const FieldTable* as_table() const { return std::get_if<FieldTable>(&value); }

  friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

// The first entry named `key`, or nullptr.
inline const FieldValue* find_field(const FieldTable& table, std::string_view key) {
  for (const auto& [name, value] : table) {
    if (name == key) return &value;
  }
  return nullptr;
}

// A message with the AMQP basic properties Celery uses. Empty strings and
// nullopt mean "not set" (the property is not sent).
struct Message {
  std::string body;
  std::string content_type;
  std::string content_encoding;
  std::string correlation_id;
  std::string reply_to;
  std::string message_id;
  std::string expiration;  // per-message TTL in ms, as AMQP's decimal string
  std::optional<std::uint8_t> priority;
  bool persistent = true;  // delivery_mode 2
  FieldTable headers;
};

}  // namespace gb
