#include "sinks/postgres/detail/pg_copy.hpp"

#include <fmt/format.h>

namespace gb::sinks::detail::pg {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void binary_field(std::string& out, std::string_view bytes) {
  put_be(out, bytes.size(), 4);
  out.append(bytes);
}

void binary_int8(std::string& out, std::uint64_t v) {
  put_be(out, 8, 4);
  put_be(out, v, 8);
}

void text_field(std::string& out, std::string_view bytes) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    const char* escaped = nullptr;
    switch (c) {
      case '\\': escaped = "\\\\"; break;
      case '\t': escaped = "\\t"; break;
      case '\n': escaped = "\\n"; break;
      case '\r': escaped = "\\r"; break;
      default: continue;
    }
    out.append(bytes.substr(start, i - start));
    out.append(escaped);
    start = i + 1;
  }
  out.append(bytes.substr(start));
}

}  // namespace

std::string copy_records_sql(std::string_view table, PostgresCopyFormat format) {
  return fmt::format("COPY {} (job_id, chunk_id, ordinal, record_key, payload) FROM STDIN{}", table,
                     format == PostgresCopyFormat::kBinary ? " (FORMAT binary)" : "");
}

void copy_header(std::string& out, PostgresCopyFormat format) {
  if (format != PostgresCopyFormat::kBinary) return;
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
  out.append(kSignature, sizeof(kSignature));  // with its terminating NUL, as the format says
  put_be(out, 0, 4);                           // flags
  put_be(out, 0, 4);                           // header extension length
}

void copy_trailer(std::string& out, PostgresCopyFormat format) {
  if (format == PostgresCopyFormat::kBinary) put_be(out, 0xFFFF, 2);
}

void copy_record_row(std::string& out, PostgresCopyFormat format, std::string_view job_id, std::string_view chunk_id,
                     std::uint64_t ordinal, std::string_view key, std::string_view payload) {
  if (format == PostgresCopyFormat::kBinary) {
    put_be(out, 5, 2);
    binary_field(out, job_id);
    binary_field(out, chunk_id);
    binary_int8(out, ordinal);
    binary_field(out, key);
    put_be(out, payload.size() + 1, 4);
    out.push_back('\x01');  // jsonb's binary input: version 1, then the JSON text
    out.append(payload);
    return;
  }
  text_field(out, job_id);
  out.push_back('\t');
  text_field(out, chunk_id);
  out.push_back('\t');
  out.append(std::to_string(ordinal));
  out.push_back('\t');
  text_field(out, key);
  out.push_back('\t');
  text_field(out, payload);
  out.push_back('\n');
}

void copy_quarantine_row_head(std::string& out, std::string_view job_id, std::string_view chunk_id,
                              std::uint64_t ordinal, std::string_view reason, std::uint64_t raw_size) {
  put_be(out, 5, 2);
  binary_field(out, job_id);
  binary_field(out, chunk_id);
  binary_int8(out, ordinal);
  binary_field(out, reason);
  put_be(out, raw_size, 4);
}

}  // namespace gb::sinks::detail::pg
