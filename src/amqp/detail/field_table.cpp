#include "amqp/detail/field_table.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>

namespace gb::amqp::detail {
namespace {

FieldValue decode(const amqp_field_value_t& v, int depth);

FieldArray decode_array(const amqp_array_t& array, int depth) {
  FieldArray out;
  if (array.num_entries <= 0 || array.entries == nullptr) return out;
  out.reserve(static_cast<std::size_t>(array.num_entries));
  for (int i = 0; i < array.num_entries; ++i) out.push_back(decode(array.entries[i], depth + 1));
  return out;
}

FieldTable decode_table(const amqp_table_t& table, int depth) {
  FieldTable out;
  if (table.num_entries <= 0 || table.entries == nullptr) return out;
  out.reserve(static_cast<std::size_t>(table.num_entries));
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& e = table.entries[i];
    out.emplace_back(string_of(e.key), decode(e.value, depth + 1));
  }
  return out;
}

FieldValue decode_decimal(const amqp_decimal_t& d) {
  if (d.decimals == 0) return static_cast<std::int64_t>(d.value);
  return static_cast<double>(d.value) / std::pow(10.0, d.decimals);
}

FieldValue decode(const amqp_field_value_t& v, int depth) {
  if (depth > kMaxFieldDepth) return {};
  switch (v.kind) {
    case AMQP_FIELD_KIND_VOID: return {};
    case AMQP_FIELD_KIND_BOOLEAN: return v.value.boolean != 0;
    case AMQP_FIELD_KIND_I8: return static_cast<std::int64_t>(v.value.i8);
    case AMQP_FIELD_KIND_U8: return static_cast<std::int64_t>(v.value.u8);
    case AMQP_FIELD_KIND_I16: return static_cast<std::int64_t>(v.value.i16);
    case AMQP_FIELD_KIND_U16: return static_cast<std::int64_t>(v.value.u16);
    case AMQP_FIELD_KIND_I32: return static_cast<std::int64_t>(v.value.i32);
    case AMQP_FIELD_KIND_U32: return static_cast<std::int64_t>(v.value.u32);
    case AMQP_FIELD_KIND_I64: return v.value.i64;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:  // seconds since the epoch
      // Beyond INT64_MAX only as a double: close, and never a wrapped negative.
      if (v.value.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<double>(v.value.u64);
      }
      return static_cast<std::int64_t>(v.value.u64);
    case AMQP_FIELD_KIND_F32: return static_cast<double>(v.value.f32);
    case AMQP_FIELD_KIND_F64: return v.value.f64;
    case AMQP_FIELD_KIND_DECIMAL: return decode_decimal(v.value.decimal);
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return string_of(v.value.bytes);
    case AMQP_FIELD_KIND_ARRAY: return decode_array(v.value.array, depth);
    case AMQP_FIELD_KIND_TABLE: return decode_table(v.value.table, depth);
    default: return {};  // rabbitmq-c rejects unknown kinds before we see them
  }
}

template <class T>
T* allocate(Pool& pool, std::size_t count) {
  static_assert(std::is_trivially_destructible_v<T>);
  if (count == 0) return nullptr;
  void* p = amqp_pool_alloc(pool.get(), sizeof(T) * count);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<T*>(p);
}

amqp_field_value_t encode(const FieldValue& value, Pool& pool);

amqp_field_value_t encode_array(const FieldArray& array, Pool& pool) {
  amqp_field_value_t out{};
  out.kind = AMQP_FIELD_KIND_ARRAY;
  out.value.array.num_entries = static_cast<int>(array.size());
  out.value.array.entries = allocate<amqp_field_value_t>(pool, array.size());
  for (std::size_t i = 0; i < array.size(); ++i) out.value.array.entries[i] = encode(array[i], pool);
  return out;
}

amqp_field_value_t encode(const FieldValue& value, Pool& pool) {
  amqp_field_value_t out{};
  if (value.is_void()) {
    out.kind = AMQP_FIELD_KIND_VOID;
  } else if (const bool* b = value.as_bool()) {
    out.kind = AMQP_FIELD_KIND_BOOLEAN;
    out.value.boolean = *b ? 1 : 0;
  } else if (const std::int64_t* i = value.as_int()) {
    out.kind = AMQP_FIELD_KIND_I64;
    out.value.i64 = *i;
  } else if (const double* d = value.as_double()) {
    out.kind = AMQP_FIELD_KIND_F64;
    out.value.f64 = *d;
  } else if (const std::string* s = value.as_string()) {
    out.kind = AMQP_FIELD_KIND_UTF8;
    out.value.bytes = bytes_of(*s);
  } else if (const FieldArray* a = value.as_array()) {
    return encode_array(*a, pool);
  } else if (const FieldTable* t = value.as_table()) {
    out.kind = AMQP_FIELD_KIND_TABLE;
    out.value.table = to_amqp(*t, pool);
  }
  return out;
}

}  // namespace

FieldTable from_amqp(const amqp_table_t& table) {
  return decode_table(table, 0);
}

FieldValue from_amqp(const amqp_field_value_t& value) {
  return decode(value, 0);
}

amqp_table_t to_amqp(const FieldTable& table, Pool& pool) {
  amqp_table_t out{};
  out.num_entries = static_cast<int>(table.size());
  out.entries = allocate<amqp_table_entry_t>(pool, table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    out.entries[i].key = bytes_of(table[i].first);
    out.entries[i].value = encode(table[i].second, pool);
  }
  return out;
}

Message message_from_properties(const amqp_basic_properties_t& p) {
  Message m;
  const amqp_flags_t f = p._flags;
  if ((f & AMQP_BASIC_CONTENT_TYPE_FLAG) != 0) m.content_type = string_of(p.content_type);
  if ((f & AMQP_BASIC_CONTENT_ENCODING_FLAG) != 0) m.content_encoding = string_of(p.content_encoding);
  if ((f & AMQP_BASIC_CORRELATION_ID_FLAG) != 0) m.correlation_id = string_of(p.correlation_id);
  if ((f & AMQP_BASIC_REPLY_TO_FLAG) != 0) m.reply_to = string_of(p.reply_to);
  if ((f & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) m.message_id = string_of(p.message_id);
  if ((f & AMQP_BASIC_EXPIRATION_FLAG) != 0) m.expiration = string_of(p.expiration);
  if ((f & AMQP_BASIC_PRIORITY_FLAG) != 0) m.priority = p.priority;
  m.persistent = (f & AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 && p.delivery_mode == AMQP_DELIVERY_PERSISTENT;
  if ((f & AMQP_BASIC_HEADERS_FLAG) != 0) m.headers = from_amqp(p.headers);
  return m;
}

amqp_basic_properties_t properties_from_message(const Message& m, Pool& pool) {
  amqp_basic_properties_t p{};
  p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  p.delivery_mode = static_cast<std::uint8_t>(m.persistent ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT);
  const auto set = [&p](const std::string& value, amqp_flags_t flag, amqp_bytes_t& field) {
    if (value.empty()) return;
    p._flags |= flag;
    field = bytes_of(value);
  };
  set(m.content_type, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type);
  set(m.content_encoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, p.content_encoding);
  set(m.correlation_id, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
  set(m.reply_to, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to);
  set(m.message_id, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id);
  set(m.expiration, AMQP_BASIC_EXPIRATION_FLAG, p.expiration);
  if (m.priority) {
    p._flags |= AMQP_BASIC_PRIORITY_FLAG;
    p.priority = *m.priority;
  }
  if (!m.headers.empty()) {
    p._flags |= AMQP_BASIC_HEADERS_FLAG;
    p.headers = to_amqp(m.headers, pool);
  }
  return p;
}

}  // namespace gb::amqp::detail
