#include "sinks/sqlite/sqlite_reader.hpp"

#include "sinks/sqlite/detail/sqlite_db.hpp"

namespace gb::sinks {

Result<LandedKeys> read_landed_keys(const std::string& db_path, const std::string& job_id) {
  auto db = detail::open_db(db_path, /*create=*/false);
  if (!db.ok()) return std::move(db).error();
  LandedKeys out;
  auto keys = detail::Statement::prepare(db->get(), "SELECT record_key FROM records WHERE job_id = ?1");
  if (!keys.ok()) return std::move(keys).error();
  {
    auto use = keys->use();
    keys->bind_text(1, job_id);
    for (;;) {
      auto row = keys->step("reading landed keys");
      if (!row.ok()) return std::move(row).error();
      if (!*row) break;
      out.keys.push_back(keys->column_text(0));
    }
  }
  auto count = detail::Statement::prepare(db->get(), "SELECT COUNT(*) FROM quarantine WHERE job_id = ?1");
  if (!count.ok()) return std::move(count).error();
  auto use = count->use();
  count->bind_text(1, job_id);
  auto row = count->step("counting quarantined records");
  if (!row.ok()) return std::move(row).error();
  out.quarantined = *row ? static_cast<std::uint64_t>(count->column_int(0)) : 0;
  return out;
}

}  // namespace gb::sinks
