#pragma once
// The one wrapper over libpq: owning handles, failures turned into gb::Error,
// simple statements with text parameters, COPY FROM STDIN, an RAII
// transaction, and a pool of connections. A Connection is used by one thread
// at a time (the pool hands it out); the pool itself is thread-safe.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

// detail::pg, not detail: SQLite's wrapper (sqlite/detail/) has its own
// Transaction and the like in gb_sinks, and one name twice in one library is
// an ODR violation the linker may not report.
namespace gb::sinks::detail::pg {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

// The single translation of libpq failures. With a result: its SQLSTATE
// decides (class 08 connection exceptions, 40001 serialization failure,
// 40P01 deadlock, 57P01-57P03 shutdown/crash/starting up, 53300 too many
// connections, 55P03 lock not available are transient; the rest internal).
// Without one (a call that failed before the server answered), a connection
// that is gone is transient. The message names `what`, the server's message,
// its SQLSTATE and, for a COPY, its context (which line).
Error pg_error(PGconn* conn, const PGresult* res, std::string_view what);

// The SQLSTATE of a failed result ("" when none).
std::string sqlstate(const PGresult* res);

class Connection {
 public:
  // Connects with `conninfo` (a postgresql:// URL or key=value words).
  // A server that refuses or cannot be reached is kTransient; wrong
  // credentials or an unknown database are kInvalidInput.
  static Result<std::unique_ptr<Connection>> connect(const std::string& conninfo);

  PGconn* get() const { return conn_.get(); }
  // Gone: the server closed it or the network failed; it must be dropped.
  bool broken() const { return PQstatus(conn_.get()) != CONNECTION_OK; }

  // Runs SQL (several statements allowed, no parameters) whose rows are not needed.
  Status exec(const char* sql);
  // Runs one statement with text parameters (nullopt = NULL); returns the
  // result when it succeeded (PGRES_COMMAND_OK or PGRES_TUPLES_OK).
  Result<ResultHandle> query(const char* sql, const std::vector<std::optional<std::string>>& params,
                             std::string_view what);

  // COPY ... FROM STDIN: begin, put data (the caller sends it in large
  // pieces), end. A failure at any point leaves the connection in a state
  // the caller's transaction rolls back. copy_abort() ends an open COPY with
  // an error (the Transaction does it before its ROLLBACK).
  Status copy_begin(const std::string& sql, std::string_view what);
  Status copy_put(std::string_view bytes);
  Status copy_end();
  void copy_abort();
  bool in_copy() const { return in_copy_; }
  // The SQLSTATE of the error that ended the last COPY at copy_end(), ""
  // when there was none; class 22 when the server refused a value in it.
  const std::string& copy_error_state() const { return copy_error_state_; }

  // Per-connection flag for the landing's temporary staging table.
  bool has_staging = false;

 private:
  explicit Connection(ConnHandle conn) : conn_(std::move(conn)) {}
  ConnHandle conn_;
  std::string copy_what_;
  std::string copy_error_state_;
  bool in_copy_ = false;
};

// BEGIN now; ROLLBACK when it goes out of scope uncommitted. Move-only.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or moved from
};

// Up to `capacity` connections to one server, made on demand. acquire()
// waits while all are in use. A connection handed back broken is dropped,
// so the next acquire() connects afresh (after a server restart, say).
class Pool {
 public:
  Pool(std::string conninfo, int capacity) : conninfo_(std::move(conninfo)), capacity_(capacity) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr && conn_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Result<Lease> acquire();
  int capacity() const { return capacity_; }

 private:
  void give_back(std::unique_ptr<Connection> conn);

  const std::string conninfo_;
  const int capacity_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int in_use_ = 0;
};

}  // namespace gb::sinks::detail::pg
