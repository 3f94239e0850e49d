#include "app/store_url.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "api/jobs_api.hpp"
#include "sinks/files/file_object_store.hpp"
#include "sinks/object_landing.hpp"
#include "sinks/postgres/postgres_sink.hpp"
#include "sinks/s3/s3_object_store.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"

namespace gb::app {
namespace {

constexpr std::string_view kSinkForms =
    "supported: sqlite:PATH, postgresql://USER:PASS@HOST:PORT/DB, s3://BUCKET/PREFIX?endpoint=URL&region=R, file:DIR";
constexpr std::string_view kStateForms = "supported: sqlite:PATH, postgresql://USER:PASS@HOST:PORT/DB";
constexpr std::string_view kFileStateName = ".genesys-bulk-state.db";

enum class Scheme { kSqlite, kPostgres, kS3, kFile };

struct StoreUrl {
  Scheme scheme = Scheme::kSqlite;
  std::string url;   // as given
  std::string path;  // sqlite: the file; file: the directory
};

bool holds_state(Scheme s) {
  return s == Scheme::kSqlite || s == Scheme::kPostgres;
}

// `flag` and `forms` only shape the message.
Result<StoreUrl> parse(std::string_view url, std::string_view flag, std::string_view forms) {
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return invalid_input(fmt::format("{} \"{}\": not a store URL ({})", flag, url, forms));
  }
  const std::string_view scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 1);
  StoreUrl out;
  out.url = std::string(url);
  if (scheme == "sqlite" || scheme == "file") {
    out.scheme = scheme == "sqlite" ? Scheme::kSqlite : Scheme::kFile;
    if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
    if (rest.empty()) return invalid_input(fmt::format("{} \"{}\": the path is missing ({})", flag, url, forms));
    out.path = std::string(rest);
    return out;
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    out.scheme = Scheme::kPostgres;
    return out;
  }
  if (scheme == "s3") {
    out.scheme = Scheme::kS3;
    return out;
  }
  return invalid_input(fmt::format("{}: unknown scheme \"{}\" ({})", flag, scheme, forms));
}

// The state URL to use: the given one, or the sink's default.
Result<StoreUrl> state_url_for(const StoreUrl& sink, std::string_view state_url) {
  if (state_url.empty()) {
    if (holds_state(sink.scheme)) return sink;
    if (sink.scheme == Scheme::kFile) {
      StoreUrl state;
      state.scheme = Scheme::kSqlite;
      state.path = (std::filesystem::path(sink.path) / kFileStateName).string();
      state.url = "sqlite:" + state.path;
      return state;
    }
    return invalid_input(
        fmt::format("--sink s3://... needs --state: where the ledger of landed chunks lives ({})", kStateForms));
  }
  auto state = parse(state_url, "--state", kStateForms);
  if (!state.ok()) return std::move(state).error();
  if (!holds_state(state->scheme)) {
    return invalid_input(fmt::format("--state \"{}\": cannot hold state ({})", state_url, kStateForms));
  }
  if (holds_state(sink.scheme) && state->url != sink.url) {
    return invalid_input(
        "--state: a sqlite: or postgresql:// sink keeps its own state (a chunk and its ledger row commit "
        "together); leave --state out");
  }
  return state;
}

Result<std::shared_ptr<sinks::SqliteSink>> open_sqlite(const std::string& path) {
  sinks::SqliteSettings settings;
  settings.path = path;
  auto sink = sinks::SqliteSink::open(settings);
  if (!sink.ok()) return std::move(sink).error();
  return std::shared_ptr<sinks::SqliteSink>(std::move(*sink));
}

Result<std::shared_ptr<sinks::PostgresSink>> open_postgres(const std::string& url) {
  sinks::PostgresSettings settings;
  settings.url = url;
  auto sink = sinks::PostgresSink::open(settings);
  if (!sink.ok()) return std::move(sink).error();
  return std::shared_ptr<sinks::PostgresSink>(std::move(*sink));
}

Result<std::shared_ptr<sinks::StateStore>> open_state(const StoreUrl& url) {
  if (url.scheme == Scheme::kSqlite) {
    auto sqlite = open_sqlite(url.path);
    if (!sqlite.ok()) return std::move(sqlite).error();
    return std::shared_ptr<sinks::StateStore>(std::move(*sqlite));
  }
  auto pg = open_postgres(url.url);
  if (!pg.ok()) return std::move(pg).error();
  return std::shared_ptr<sinks::StateStore>(std::move(*pg));
}

// An object store's landing over `objects`, its ledger in `state_at`.
Result<Store> open_object_landing(std::shared_ptr<sinks::ObjectStore> objects, const StoreUrl& state_at,
                                  sinks::ObjectLandingSettings settings) {
  auto state = open_state(state_at);
  if (!state.ok()) return std::move(state).error();
  settings.key_field_of = [](const std::string& type) {
    auto parsed = api::ExportType::parse(type);
    return parsed.ok() ? parsed->key_field() : records::KeyField::kId;
  };
  auto landing = std::make_shared<sinks::ObjectLanding>(*objects, **state, std::move(settings));
  return Store{std::move(objects), std::move(*state), std::move(landing)};
}

}  // namespace

Status check_store_urls(std::string_view sink_url, std::string_view state_url) {
  auto sink = parse(sink_url, "--sink", kSinkForms);
  if (!sink.ok()) return std::move(sink).error();
  auto state = state_url_for(*sink, state_url);
  if (!state.ok()) return std::move(state).error();
  if (sink->scheme == Scheme::kS3) {
    auto s3 = sinks::parse_s3_url(sink->url);  // bucket, endpoint, region: before anything is contacted
    if (!s3.ok()) return std::move(s3).error();
  }
  return ok_status();
}

Result<Store> open_store(std::string_view sink_url, std::string_view state_url, const config::EnvLookup& env,
                         const std::filesystem::path& temp_dir) {
  auto sink = parse(sink_url, "--sink", kSinkForms);
  if (!sink.ok()) return std::move(sink).error();
  auto state_at = state_url_for(*sink, state_url);
  if (!state_at.ok()) return std::move(state_at).error();
  if (sink->scheme == Scheme::kSqlite) {
    auto sqlite = open_sqlite(sink->path);
    if (!sqlite.ok()) return std::move(sqlite).error();
    return Store{nullptr, *sqlite, *sqlite};
  }
  if (sink->scheme == Scheme::kPostgres) {
    auto pg = open_postgres(sink->url);
    if (!pg.ok()) return std::move(pg).error();
    return Store{nullptr, *pg, *pg};
  }
  if (sink->scheme == Scheme::kFile) {
    // First: it creates DIR, where the default state file goes.
    auto files = sinks::FileObjectStore::open(sink->path);
    if (!files.ok()) return std::move(files).error();
    return open_object_landing(std::move(*files), *state_at, {});
  }
  if (sink->scheme == Scheme::kS3) {
    auto s3 = sinks::parse_s3_url(sink->url);
    if (!s3.ok()) return std::move(s3).error();
    if (auto st = sinks::credentials_from_environment(*s3, env); !st.ok()) return std::move(st).error();
    if (!temp_dir.empty()) s3->spool_dir = temp_dir;
    auto objects = sinks::S3ObjectStore::open(*s3);
    if (!objects.ok()) return std::move(objects).error();
    sinks::ObjectLandingSettings settings;
    settings.prefix = s3->prefix;
    settings.gzip = s3->gzip;
    return open_object_landing(std::move(*objects), *state_at, std::move(settings));
  }
  return internal_error("--sink: no store for this scheme");
}

Result<std::shared_ptr<sinks::StateStore>> open_existing_state(std::string_view sink_url, std::string_view state_url) {
  auto sink = parse(sink_url, "--sink", kSinkForms);
  if (!sink.ok()) return std::move(sink).error();
  auto state_at = state_url_for(*sink, state_url);
  if (!state_at.ok()) return std::move(state_at).error();
  if (state_at->scheme == Scheme::kSqlite) {
    std::error_code ec;
    if (!std::filesystem::exists(state_at->path, ec)) {
      return invalid_input(fmt::format("no store at {} (nothing exported there yet?)", state_at->path));
    }
  }
  return open_state(*state_at);
}

}  // namespace gb::app
