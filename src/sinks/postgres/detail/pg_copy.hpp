#pragma once
// COPY's wire formats for our two tables, appended to a buffer that
// Connection::copy_put sends. Text format escapes backslash, tab, newline
// and carriage return; binary format (PostgreSQL's "PGCOPY") sends each field
// with its length, so JSON's many backslashes cost nothing (ADR 0011).
#include <cstdint>
#include <string>
#include <string_view>

#include "sinks/postgres/postgres_sink.hpp"

namespace gb::sinks::detail::pg {

// The COPY statement for `table` ("records" or a staging table) in `format`.
std::string copy_records_sql(std::string_view table, PostgresCopyFormat format);

// Appends what starts a binary COPY's data (nothing for text).
void copy_header(std::string& out, PostgresCopyFormat format);
// Appends what ends a binary COPY's data (nothing for text).
void copy_trailer(std::string& out, PostgresCopyFormat format);

// One records row: job_id, chunk_id, ordinal, record_key, payload (jsonb).
void copy_record_row(std::string& out, PostgresCopyFormat format, std::string_view job_id, std::string_view chunk_id,
                     std::uint64_t ordinal, std::string_view key, std::string_view payload);

// A quarantine row, always binary: job_id, chunk_id, ordinal, reason, then
// the length of raw (bytea); the caller appends raw's `raw_size` bytes.
void copy_quarantine_row_head(std::string& out, std::string_view job_id, std::string_view chunk_id,
                              std::uint64_t ordinal, std::string_view reason, std::uint64_t raw_size);

}  // namespace gb::sinks::detail::pg
