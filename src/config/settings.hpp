#pragma once
// Every setting of the process as plain structs with the defaults, so
// that CLI flags, environment and files can fill them and the composition root
// can hand each part to the object it builds. validate() (config/validate.hpp)
// checks them once at start.
#include <chrono>
#include <cstdint>
#include <string>

namespace gb::config {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Where the org lives. Explicit URLs win over env_domain, which wins over
// region; api::resolve_hosts (api/regions.hpp) turns this into the two URLs.
struct HostSettings {
  std::string region;      // e.g. "eu_west_1" (the spec's table)
  std::string env_domain;  // e.g. "mypurecloud.ie"
  std::string login_url;   // e.g. "http://127.0.0.1:8080" (tests, proxies)
  std::string api_url;
};

// OAuth client credentials. Filled by load_credentials (config/credentials.hpp).
struct Credentials {
  std::string client_id;
  std::string client_secret;
};

struct TokenSettings {
  seconds refresh_buffer{120};  // refresh when this much life or less is left
};

struct HttpSettings {
  milliseconds connect_timeout{10'000};
  milliseconds request_timeout{120'000};     // small JSON calls (token, job status, create)
  milliseconds download_timeout{1'800'000};  // a whole chunk or page download
  seconds low_speed_time{60};                // abort when slower than low_speed_bytes/s this long
  std::uint32_t low_speed_bytes{1024};
  std::uint64_t max_response_bytes{1ull << 30};  // cap on any buffered or streamed body
};

struct RetrySettings {
  int max_attempts = 6;  // first try included
  milliseconds base_delay{500};
  milliseconds max_delay{60'000};
  // Every call failing transiently this long, or the server asking for a
  // longer wait than is left of it, ends the run (resumable).
  seconds max_outage{300};
};

struct RateSettings {
  int requests = 300;  // the org's budget per window
  seconds window{60};
  int low_remaining = 10;  // slow down when the server says fewer than this are left
};

struct BreakerSettings {
  int failure_threshold = 5;  // consecutive 429/503 that open the breaker
  seconds cool_down{30};      // then one probe
};

struct PollSettings {
  seconds interval{15};             // the longest wait between polls (the first is 1 s, then doubling)
  seconds max_job_wait{24 * 3600};  // a job still queued or running then: give up
};

struct DownloadSettings {
  int page_size = 1000;                                // analytics cursor pages
  int concurrency = 5;                                 // bulk chunk downloads at once
  std::uint64_t spill_threshold_bytes = 200ull << 20;  // larger chunks go to a temp file
  std::uint64_t memory_budget_bytes = 48ull << 20;     // all chunk data in memory at once
  std::uint64_t max_record_bytes = 2ull << 20;         // larger records go to the quarantine whole
};

struct Settings {
  HostSettings hosts;
  Credentials credentials;
  TokenSettings token;
  HttpSettings http;
  RetrySettings retry;
  RateSettings rate;
  BreakerSettings breaker;
  PollSettings poll;
  DownloadSettings download;
};

}  // namespace gb::config
