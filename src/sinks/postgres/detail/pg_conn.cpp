#include "sinks/postgres/detail/pg_conn.hpp"

#include <fmt/format.h>

#include <array>

#include "base/log.hpp"

namespace gb::sinks::detail::pg {
namespace {

bool transient_state(std::string_view state) {
  if (state.size() != 5) return false;
  if (state.substr(0, 2) == "08") return true;  // connection exception
  static constexpr std::array<std::string_view, 7> kTransient = {"40001", "40P01", "57P01", "57P02",
                                                                 "57P03", "53300", "55P03"};
  for (auto s : kTransient)
    if (state == s) return true;
  return false;
}

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); ours are one line each.
std::string one_line(const char* text) {
  std::string s;
  for (const char* p = text == nullptr ? "" : text; *p != '\0'; ++p) {
    if (*p == '\n') {
      while (p[1] == '\t' || p[1] == ' ') ++p;
      if (p[1] != '\0') s += "; ";
    } else {
      s += *p;
    }
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Server notices ("relation already exists, skipping") are not errors, and
// libpq would print them on stderr.
void ignore_notice(void* /*arg*/, const PGresult* /*res*/) {}

}  // namespace

std::string sqlstate(const PGresult* res) {
  if (res == nullptr) return {};
  const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  return s == nullptr ? std::string() : std::string(s);
}

Error pg_error(PGconn* conn, const PGresult* res, std::string_view what) {
  const std::string state = sqlstate(res);
  std::string message = res != nullptr ? one_line(PQresultErrorMessage(res)) : std::string();
  if (message.empty() && conn != nullptr) message = one_line(PQerrorMessage(conn));
  if (message.empty()) message = "unknown failure";
  // Without a SQLSTATE, a connection that went away before an answer.
  const bool lost = state.empty() && conn != nullptr && PQstatus(conn) != CONNECTION_OK;
  const ErrorKind kind = transient_state(state) || lost ? ErrorKind::kTransient : ErrorKind::kInternal;
  std::string text = fmt::format("postgresql: {}: {}", what, message);
  if (!state.empty()) text += fmt::format(" (SQLSTATE {})", state);
  if (res != nullptr) {
    if (const char* context = PQresultErrorField(res, PG_DIAG_CONTEXT); context != nullptr) {
      text += fmt::format(" [{}]", one_line(context));
    }
  }
  return make_error(kind, log::redact(text));
}

Result<std::unique_ptr<Connection>> Connection::connect(const std::string& conninfo) {
  // Our defaults first: the user's URL (dbname, expanded) overrides them.
  // client_encoding comes last: the landing checks records as UTF-8.
  const std::array<const char*, 6> keys = {"connect_timeout", "application_name", "keepalives_idle",
                                           "dbname",          "client_encoding",  nullptr};
  const std::array<const char*, 6> values = {"10", "genesys-bulk", "30", conninfo.c_str(), "UTF8", nullptr};
  ConnHandle conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!conn) return internal_error("postgresql: out of memory while connecting");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    const std::string message = one_line(PQerrorMessage(conn.get()));
    // Refused or unreachable servers come back (a restart); credentials and
    // database names are the user's to fix.
    const bool users =
        message.find("authentication failed") != std::string::npos ||
        message.find("does not exist") != std::string::npos || message.find("no password") != std::string::npos ||
        message.find("invalid connection option") != std::string::npos ||
        message.find("invalid URI") != std::string::npos || message.find("missing \"=\"") != std::string::npos ||
        message.find("not permitted") != std::string::npos || message.find("pg_hba.conf") != std::string::npos;
    return make_error(users ? ErrorKind::kInvalidInput : ErrorKind::kTransient,
                      log::redact("postgresql: connect: " + message));
  }
  PQsetNoticeReceiver(conn.get(), ignore_notice, nullptr);
  return std::unique_ptr<Connection>(new Connection(std::move(conn)));
}

Status Connection::exec(const char* sql) {
  ResultHandle res(PQexec(conn_.get(), sql));
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(conn_.get(), res.get(), sql);
  return ok_status();
}

Result<ResultHandle> Connection::query(const char* sql, const std::vector<std::optional<std::string>>& params,
                                       std::string_view what) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  ResultHandle res(
      PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(conn_.get(), res.get(), what);
  return res;
}

Status Connection::copy_begin(const std::string& sql, std::string_view what) {
  copy_what_ = std::string(what);
  copy_error_state_.clear();
  ResultHandle res(PQexec(conn_.get(), sql.c_str()));
  if (PQresultStatus(res.get()) != PGRES_COPY_IN) return pg_error(conn_.get(), res.get(), what);
  in_copy_ = true;
  return ok_status();
}

Status Connection::copy_put(std::string_view bytes) {
  if (bytes.empty()) return ok_status();
  if (PQputCopyData(conn_.get(), bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return pg_error(conn_.get(), nullptr, copy_what_);
  }
  return ok_status();
}

Status Connection::copy_end() {
  in_copy_ = false;
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) return pg_error(conn_.get(), nullptr, copy_what_);
  Status status = ok_status();
  // Drain every result: the COPY's, and nothing else.
  while (ResultHandle res{PQgetResult(conn_.get())}) {
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && status) {
      status = pg_error(conn_.get(), res.get(), copy_what_);
      copy_error_state_ = sqlstate(res.get());
    }
  }
  return status;
}

void Connection::copy_abort() {
  if (!in_copy_) return;
  in_copy_ = false;
  // The server answers with an error for the COPY; the transaction is then
  // aborted, which is what the caller wants.
  if (PQputCopyEnd(conn_.get(), "the landing was abandoned") == 1) {
    while (ResultHandle res{PQgetResult(conn_.get())}) {
    }
  }
}

Result<Transaction> Transaction::begin(Connection& conn) {
  auto begun = conn.exec("BEGIN");
  if (!begun) return std::move(begun).error();
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ != nullptr) conn_->copy_abort();
  if (conn_ != nullptr && !conn_->broken()) {
    // A failed ROLLBACK means the connection is unusable: the pool sees it
    // broken, or the next statement fails and says so.
    (void)conn_->exec("ROLLBACK");
  }
}

Status Transaction::commit() {
  Connection* conn = conn_;
  conn_ = nullptr;
  return conn->exec("COMMIT");
}

Result<Pool::Lease> Pool::acquire() {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return in_use_ < capacity_; });
    ++in_use_;
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (conn && conn->broken()) conn.reset();
  if (!conn) {
    auto made = Connection::connect(conninfo_);
    if (!made) {
      std::lock_guard lock(mutex_);
      --in_use_;
      freed_.notify_one();
      return std::move(made).error();
    }
    conn = std::move(made).value();
  }
  return Lease(this, std::move(conn));
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction or a COPY (a bug, or a failure
  // half-way) is not reused: closing it is the rollback.
  if (conn->broken() || PQtransactionStatus(conn->get()) != PQTRANS_IDLE) conn.reset();
  std::lock_guard lock(mutex_);
  --in_use_;
  if (conn) idle_.push_back(std::move(conn));
  freed_.notify_one();
}

}  // namespace gb::sinks::detail::pg
