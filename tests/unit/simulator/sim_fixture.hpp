#pragma once
// Starts the simulator in-process on port 0 and talks to it over real HTTP.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <set>
#include <string>

#include "http_client.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator::test {

inline Settings quick_settings() {
  Settings s;
  s.job_seconds = 0;
  s.rate_limit_requests = 100000;
  s.threads = 2;
  return s;
}

class SimTest : public ::testing::Test {
 protected:
  void start(Settings s) {
    auto server = Server::start(s);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
  }
  std::string url(const std::string& path) const { return server_->base_url() + path; }

  HttpResult login() {
    HttpCall call;
    call.method = "POST";
    call.url = url("/oauth/token");
    call.headers = {"Content-Type: application/x-www-form-urlencoded"};
    call.body = "grant_type=client_credentials";
    call.user_password = "sim-client:sim-secret";
    return http(call);
  }
  std::string token() {
    auto r = login();
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser parser;
    std::string_view t;
    if (parser.parse(r.body)["access_token"].get(t)) return {};
    return std::string(t);
  }
  HttpResult api(const std::string& method, const std::string& path, const std::string& body = {}, bool gzip = false) {
    if (token_.empty()) token_ = token();
    HttpCall call;
    call.method = method;
    call.url = path.starts_with("http") ? path : url(path);
    call.headers = {"Authorization: Bearer " + token_, "Content-Type: application/json"};
    call.body = body;
    call.gzip = gzip;
    return http(call);
  }
  static std::string field(const std::string& json, const char* name) {
    simdjson::dom::parser parser;
    std::string_view v;
    if (parser.parse(json)[name].get(v)) return {};
    return std::string(v);
  }
  // Every record key of a bulk job, through status + every chunk.
  std::multiset<std::string> fetch_bulk(const std::string& job_id) {
    std::multiset<std::string> keys;
    auto status = api("GET", "/api/v2/bulk/jobs/" + job_id);
    EXPECT_EQ(status.status, 200);
    simdjson::dom::parser parser;
    simdjson::dom::array chunks;
    EXPECT_EQ(parser.parse(status.body)["chunks"].get(chunks), simdjson::SUCCESS) << status.body;
    std::vector<std::string> urls;
    for (auto c : chunks) urls.emplace_back(std::string_view(c["url"]));
    for (const auto& u : urls) {
      auto chunk = api("GET", u);
      EXPECT_EQ(chunk.status, 200);
      simdjson::dom::parser p2;
      simdjson::dom::array records;
      EXPECT_EQ(p2.parse(chunk.body).get(records), simdjson::SUCCESS);
      for (auto r : records) keys.emplace(std::string_view(r["id"]));
    }
    return keys;
  }
  std::multiset<std::string> expected(const std::string& job_id) const {
    auto keys = server_->expected_keys(job_id);
    return {keys.begin(), keys.end()};
  }

  std::unique_ptr<Server> server_;
  std::string token_;
};

}  // namespace gb::simulator::test
