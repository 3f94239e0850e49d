// bench_simulator: how fast the simulator serves, beside this machine's raw
// loopback limit. Prints:
//   - a 100 MB chunk downloaded over loopback with libcurl (MB/s, median),
//     plain and gzip, and the same bytes over a raw TCP socket (MB/s, ratio);
//   - small requests per second over N keep-alive connections (median).
// Usage: bench_simulator [--chunk-mb 100] [--runs 5] [--connections 8] [--requests 2000]
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "common/bench_stats.hpp"
#include "simulator/simulator.hpp"

namespace {

using gb::simulator::Server;
using gb::simulator::Settings;

double seconds_since(gb::SteadyTime start) {
  return std::chrono::duration<double>(gb::system_clock().now() - start).count();
}

std::size_t count_bytes(char*, std::size_t size, std::size_t n, void* user) {
  *static_cast<std::size_t*>(user) += size * n;
  return size * n;
}
std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

std::string login(const std::string& base) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, (base + "/oauth/token").c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, "sim-client:sim-secret");
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* d, std::size_t s, std::size_t n, void* u) {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  const auto at = body.find("\"access_token\":\"");
  if (at == std::string::npos) return {};
  const auto start = at + 16;
  return body.substr(start, body.find('"', start) - start);
}

// Downloads url once; returns MB/s of decoded bytes (0 on failure).
double download(const std::string& url, const std::string& token, bool gzip, std::size_t* bytes_out) {
  CURL* curl = curl_easy_init();
  std::size_t bytes = 0;
  curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &count_bytes);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  const auto start = gb::system_clock().now();
  const CURLcode rc = curl_easy_perform(curl);
  const double secs = seconds_since(start);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (bytes_out) *bytes_out = bytes;
  if (rc != CURLE_OK || status != 200) return 0;
  return static_cast<double>(bytes) / 1e6 / secs;
}

// The same number of bytes through a plain TCP loopback socket: the ceiling.
double raw_loopback(std::size_t bytes) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener);
    return 0;
  }
  std::thread sender([listener, bytes] {
    int fd = accept(listener, nullptr, nullptr);
    std::vector<char> block(std::size_t{256} * 1024, 'x');
    std::size_t sent = 0;
    while (fd >= 0 && sent < bytes) {
      const auto n = send(fd, block.data(), std::min(block.size(), bytes - sent), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    if (fd >= 0) close(fd);
  });
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  const auto start = gb::system_clock().now();
  std::size_t got = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::vector<char> buf(std::size_t{512} * 1024);
    while (true) {
      const auto n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
  }
  const double secs = seconds_since(start);
  close(fd);
  sender.join();
  close(listener);
  return static_cast<double>(got) / 1e6 / secs;
}

// Each connection sends `requests` GETs on one keep-alive handle; returns requests/s.
double small_requests(const std::string& url, const std::string& token, int connections, int requests) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(connections));
  std::vector<int> failures(static_cast<std::size_t>(connections), 0);
  const auto start = gb::system_clock().now();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      CURL* curl = curl_easy_init();
      curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
      curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard);
      for (int i = 0; i < requests; ++i) {
        long status = 0;
        if (curl_easy_perform(curl) != CURLE_OK) ++failures[static_cast<std::size_t>(c)];
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) ++failures[static_cast<std::size_t>(c)];
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
    });
  }
  for (auto& t : threads) t.join();
  const double secs = seconds_since(start);
  int failed = 0;
  for (int f : failures) failed += f;
  if (failed) fmt::print("  ({} small requests failed)\n", failed);
  return connections * requests / secs;
}

int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::max(1, std::atoi(argv[i + 1]));
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int chunk_mb = arg(argc, argv, "--chunk-mb", 100);
  const int runs = arg(argc, argv, "--runs", 5);
  const int connections = arg(argc, argv, "--connections", 8);
  const int requests = arg(argc, argv, "--requests", 2000);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  Settings s;
  s.job_seconds = 0;
  s.rate_limit_requests = 0;  // no budget: measure the server, not the limiter
  s.threads = 4;
  s.faults.huge_chunk_mb = static_cast<std::uint64_t>(chunk_mb);
  s.jobs.push_back({"bulk:users", 1000, 1000});  // chunk 0 is the huge one
  s.jobs.push_back({"bulk:users", 10, 10});      // a small status document
  auto server = Server::start(s);
  if (!server) {
    fmt::print(stderr, "bench_simulator: {}\n", server.error().describe());
    return 1;
  }
  const auto base = (*server)->base_url();
  const auto token = login(base);
  const auto jobs = (*server)->jobs();
  const auto chunk_url = base + "/api/v2/bulk/jobs/" + jobs[0].job_id + "/results/chunk-00000";
  const auto small_url = base + "/api/v2/bulk/jobs/" + jobs[1].job_id;

  std::size_t bytes = 0;
  const auto gen_start = gb::system_clock().now();
  download(chunk_url, token, false, &bytes);  // renders and caches the chunk
  const double first = seconds_since(gen_start);
  fmt::print("simulator benchmark ({} connections x {} requests, {} runs)\n", connections, requests, runs);
  const double mb = static_cast<double>(bytes) / 1e6;
  fmt::print("chunk size: {:.1f} MB; first request (generate + serve): {:.2f} s ({:.0f} MB/s)\n", mb, first,
             mb / first);

  std::vector<double> plain, gzip, raw, small;
  for (int i = 0; i < runs; ++i) plain.push_back(download(chunk_url, token, false, nullptr));
  download(chunk_url, token, true, nullptr);  // compresses the chunk once and stores it
  for (int i = 0; i < std::min(runs, 3); ++i) gzip.push_back(download(chunk_url, token, true, nullptr));
  for (int i = 0; i < runs; ++i) raw.push_back(raw_loopback(bytes));
  small_requests(small_url, token, connections, std::max(1, requests / 10));  // warm-up
  for (int i = 0; i < runs; ++i) small.push_back(small_requests(small_url, token, connections, requests));

  const double raw_mbs = gb::bench::median(raw);
  fmt::print("chunk, plain:      {:8.0f} MB/s median  (raw loopback socket: {:.0f} MB/s, ratio {:.2f})\n",
             gb::bench::median(plain), raw_mbs, raw_mbs > 0 ? gb::bench::median(plain) / raw_mbs : 0.0);
  fmt::print("chunk, gzip:       {:8.0f} MB/s median of uncompressed bytes (stored gzip, curl's zlib inflate)\n",
             gb::bench::median(gzip));
  fmt::print("small requests:    {:8.0f} requests/s median (GET bulk job status, keep-alive)\n",
             gb::bench::median(small));
  curl_global_cleanup();
  return 0;
}
