#pragma once
// AMQP field values as JSON that reads back as the same values, for the dead
// letters' copy of a message's headers: void <-> null, bool, int64 <-> an
// integer, double <-> a number with a '.' or an exponent, arrays, tables <->
// objects (order kept), and a string that is not UTF-8 <-> {"$bytes": base64}.
// Lossy only for NaN and infinities (null) and for a table whose only key is
// "$bytes" (read back as bytes).
#include <simdjson.h>

#include <string>

#include "base/message.hpp"
#include "base/result.hpp"

namespace gb::worker::detail {

bool is_utf8(std::string_view text);

void append_field_value(std::string& out, const FieldValue& value);
void append_field_table(std::string& out, const FieldTable& table);

// Nesting deeper than 32 levels is refused (kInvalidInput). Out-parameters:
// see field_json.cpp.
Status field_value_from_json(simdjson::dom::element element, FieldValue& out);
Status field_table_from_json(simdjson::dom::element element, FieldTable& out);

}  // namespace gb::worker::detail
