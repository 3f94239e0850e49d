// The sqlite3 wrapper: RAII transactions, bind failures, error kinds.
#include "sinks/sqlite/detail/sqlite_db.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace gb::sinks::detail {
namespace {

namespace fs = std::filesystem;

class SqliteDbTest : public ::testing::Test {
 protected:
  SqliteDbTest() {
    std::string pattern = (fs::temp_directory_path() / "gb-sqlite-db-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~SqliteDbTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  DbHandle open() {
    auto db = open_db((dir_ / "t.db").string(), true);
    if (!db) throw std::runtime_error(db.error().describe());
    return std::move(db).value();
  }
  fs::path dir_;
};

TEST_F(SqliteDbTest, TransactionNotCommittedIsRolledBack) {
  auto db = open();
  ASSERT_TRUE(exec(db.get(), "CREATE TABLE t (x)").ok());
  {
    auto tx = Transaction::begin_immediate(db.get());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(exec(db.get(), "INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(*query_int(db.get(), "SELECT count(*) FROM t"), 0);
  {
    auto tx = Transaction::begin_immediate(db.get());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(exec(db.get(), "INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  EXPECT_EQ(*query_int(db.get(), "SELECT count(*) FROM t"), 1);
}

TEST_F(SqliteDbTest, AFailedBindStopsTheNextStep) {
  auto db = open();
  ASSERT_TRUE(exec(db.get(), "CREATE TABLE t (x)").ok());
  auto stmt = Statement::prepare(db.get(), "INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(stmt.ok());
  stmt->bind_int(1, 7);
  ASSERT_TRUE(stmt->run("insert").ok());
  stmt->bind_int(2, 8);  // no such parameter: 7 would still be bound
  auto failed = stmt->run("insert");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kInternal);
  EXPECT_NE(failed.error().message.find("binding a value"), std::string::npos) << failed.error().message;
  EXPECT_EQ(*query_int(db.get(), "SELECT count(*) FROM t"), 1);
  stmt->bind_int(1, 9);  // the failure is reported once; the statement works again
  ASSERT_TRUE(stmt->run("insert").ok());
  EXPECT_EQ(*query_int(db.get(), "SELECT sum(x) FROM t"), 16);
}

TEST_F(SqliteDbTest, AnotherWritersLockIsTransient) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(exec(first.get(), "PRAGMA journal_mode = WAL; CREATE TABLE t (x)").ok());
  auto held = Transaction::begin_immediate(first.get());
  ASSERT_TRUE(held.ok());
  sqlite3_busy_timeout(second.get(), 0);
  auto blocked = Transaction::begin_immediate(second.get());
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().kind, ErrorKind::kTransient);
  EXPECT_NE(blocked.error().message.find("locked"), std::string::npos) << blocked.error().message;
}

TEST_F(SqliteDbTest, SqlErrorsNameTheStatementAndSqlitesMessage) {
  auto db = open();
  auto bad = exec(db.get(), "SELECT * FROM missing_table");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
  EXPECT_NE(bad.error().message.find("no such table: missing_table"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace gb::sinks::detail
