#pragma once
// AMQP field tables and basic properties <-> the neutral gb::Message types.
// Decoding takes every field kind rabbitmq-c decodes (what RabbitMQ relays
// from py-amqp, Celery's client); encoding writes one kind per FieldValue
// alternative, the ones py-amqp reads back as the same Python type.
#include <amqp.h>
#include <amqp_framing.h>

#include "base/message.hpp"

namespace gb::amqp::detail {

// An amqp_pool_t owned: what encoding allocates lives until it is destroyed.
class Pool {
 public:
  Pool() { init_amqp_pool(&pool_, 4096); }
  ~Pool() { empty_amqp_pool(&pool_); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  amqp_pool_t* get() { return &pool_; }

 private:
  amqp_pool_t pool_{};
};

// Nesting deeper than this (arrays and tables inside each other) decodes as
// void: no real producer nests that deep, and it bounds our recursion.
constexpr int kMaxFieldDepth = 32;

// Field kinds: V -> void; t -> bool; b B s u I i l -> int; L -> int, or
// double above INT64_MAX; f d -> double; D decimal -> int when it has no
// decimals, otherwise double (value / 10^decimals); T timestamp -> int
// (seconds); S x -> string; A -> array; F -> table. Never fails.
FieldTable from_amqp(const amqp_table_t& table);
FieldValue from_amqp(const amqp_field_value_t& value);

// Encodes with kinds V t l d S A F. Strings and keys are not copied: the
// result points into `table` and `pool`, which must outlive it.
amqp_table_t to_amqp(const FieldTable& table, Pool& pool);

// The properties Message carries (headers included); the body is separate.
Message message_from_properties(const amqp_basic_properties_t& properties);

// Properties for publishing `message`: set fields only, delivery_mode always.
// Points into `message` and `pool`, which must outlive the result.
amqp_basic_properties_t properties_from_message(const Message& message, Pool& pool);

// An amqp_bytes_t viewing `text` (rabbitmq-c does not write through it).
inline amqp_bytes_t bytes_of(std::string_view text) {
  return {text.size(), const_cast<char*>(text.data())};  // NOLINT: rabbitmq-c's struct is not const-correct
}
inline std::string string_of(const amqp_bytes_t& bytes) {
  return bytes.len == 0 ? std::string() : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

}  // namespace gb::amqp::detail
