// Fuzzes how api::GenesysJobsApi reads the API's bodies: the create answer
// (jobId), job status bodies (state, chunks with their ids and URLs) and
// analytics results pages (the cursor, via detail::find_page_cursor), through
// an in-process Transport that answers every request with the fuzz input, so
// the real request/response code runs without a network.
//
// Input: byte 0 picks the call, the rest is the 200 response's body:
//   0 create_job (bulk:users)     1 get_job (bulk:users)
//   2 get_job (conversations)     3 fetch_page (conversations)
//   4 fetch_page (users)
// Checks: ids that go into URLs are valid ids; a chunk URL the client accepts
// is on the API host and only such URLs are ever requested (the bearer token
// goes nowhere else); a state the client accepts is a known one; messages
// are bounded; a cursor is at most 64 KiB; a page body is kept as received.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/genesys_jobs_api.hpp"
#include "base/ids.hpp"
#include "http/url.hpp"

namespace {

constexpr std::string_view kApiUrl = "https://api.mypurecloud.ie";

void check(bool condition) {
  if (!condition) std::abort();
}

// Answers every request 200 with `body`; remembers the last URL asked for.
class CannedTransport final : public gb::http::Transport {
 public:
  explicit CannedTransport(std::string body) : body_(std::move(body)) {}

  gb::Result<gb::http::Response> send(const gb::http::Request& request, const gb::http::BodySink* sink) override {
    check(gb::http::same_origin(request.url, kApiUrl));
    ++requests_;
    gb::http::Response response;
    response.status = 200;
    response.body_bytes = body_.size();
    if (sink != nullptr) {
      gb::Status accepted = (*sink)(body_);
      if (!accepted.ok()) return std::move(accepted).error();
    } else {
      response.body = body_;
    }
    return response;
  }
  int requests() const { return requests_; }

 private:
  std::string body_;
  int requests_ = 0;
};

void check_error(const gb::Error& error) {
  check(error.kind != gb::ErrorKind::kInternal);
  check(error.message.size() <= 2000);
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  CannedTransport transport(body);
  gb::api::GenesysJobsApiOptions options;
  options.api_url = std::string(kApiUrl);
  gb::api::GenesysJobsApi api(transport, options);
  const auto bulk = gb::api::ExportType::parse("bulk:users").value();
  const auto conversations = gb::api::ExportType::parse("conversations").value();
  const auto users = gb::api::ExportType::parse("users").value();

  switch (data[0] % 5) {
    case 0: {
      auto job_id = api.create_job(bulk, "{\"interval\":\"2026-01-01T00:00:00Z/2026-01-02T00:00:00Z\"}");
      if (job_id.ok()) {
        check(gb::is_valid_id(*job_id));
      } else {
        check_error(job_id.error());
      }
      break;
    }
    case 1:
    case 2: {
      const auto& type = data[0] % 5 == 1 ? bulk : conversations;
      auto snapshot = api.get_job(type, "job-1");
      if (!snapshot.ok()) {
        check_error(snapshot.error());
        break;
      }
      check(gb::api::phase_of_state(snapshot->state) == snapshot->phase);
      check(snapshot->error_message.size() <= 1003);
      if (type.paged()) check(snapshot->chunks.empty());
      for (const auto& chunk : snapshot->chunks) {
        check(gb::is_valid_id(chunk.chunk_id));
        check(!chunk.url.empty());
        const int before = transport.requests();
        const gb::http::BodySink sink = [](std::string_view) { return gb::ok_status(); };
        const gb::Status downloaded = api.download_chunk(chunk, sink);
        const bool sent = transport.requests() > before;
        check(sent == gb::http::same_origin(chunk.url, kApiUrl));
        if (!sent) check(!downloaded.ok());
      }
      break;
    }
    default: {
      const auto& type = data[0] % 5 == 3 ? conversations : users;
      auto page = api.fetch_page(type, "job-1", "", 100);
      if (!page.ok()) {
        check_error(page.error());
        break;
      }
      check(page->body == body);
      check(page->cursor.size() <= std::size_t{64} * 1024);
      // The next request carries the cursor, encoded into the URL.
      auto next = api.fetch_page(type, "job-1", page->cursor, 100);
      if (!next.ok()) check_error(next.error());
      break;
    }
  }
  return 0;
}
