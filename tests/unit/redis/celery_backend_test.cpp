// Python Celery's redis result backend reads what setex_and_publish stores,
// whether its get() started before the result (it hears the PUBLISH) or after
// (it reads the key).
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "redis/client.hpp"
#include "testing/redis_server.hpp"
#include "testing/server_process.hpp"

namespace gb::redis {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGet = R"(
import sys
from celery import Celery
app = Celery("producer", broker="memory://", backend=sys.argv[1])
print("RESULT=" + repr(app.AsyncResult(sys.argv[2]).get(timeout=20)))
)";

constexpr const char* kTaskId = "0f6c1b1e-7a39-4a8e-9d0e-2d5b7c9a1f00";

std::string meta() {
  return std::string(R"({"status": "SUCCESS", "result": {"records": 3}, "traceback": null, "children": [], )") +
         R"("date_done": "2026-12-02T00:00:00.000000", "task_id": ")" + kTaskId + "\"}";
}

class CeleryBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
    server_ = std::make_unique<fixtures::RedisServer>();
    auto client = Client::connect(RedisUrl::parse(server_->url()).value());
    ASSERT_TRUE(client.ok()) << client.error().describe();
    client_ = std::make_unique<Client>(std::move(client).value());
  }

  fixtures::SpawnOptions python() const {
    fixtures::SpawnOptions o;
    o.argv = {"/usr/bin/python3", "-c", kGet, server_->url(), kTaskId};
    o.env = {"PATH=/usr/bin:/bin", "HOME=/tmp", "LC_ALL=C.UTF-8"};
    return o;
  }

  // PUBSUB NUMSUB over a raw socket: how many wait on `channel`.
  int subscribers(const std::string& channel) const {
    const std::string reply = fixtures::tcp_exchange(server_->port(), "PUBSUB NUMSUB " + channel + "\r\n",
                                                     30 + channel.size(), std::chrono::milliseconds(500));
    const std::size_t last = reply.rfind(':');
    return last == std::string::npos ? 0 : std::atoi(reply.c_str() + last + 1);
  }

  std::unique_ptr<fixtures::RedisServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(CeleryBackendTest, GetAfterTheResultReadsTheKey) {
  ASSERT_TRUE(client_->setex_and_publish(std::string("celery-task-meta-") + kTaskId, 86400s, meta()).ok());
  const fixtures::Finished r = fixtures::run(python(), std::filesystem::temp_directory_path(), 60s);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("RESULT={'records': 3}"), std::string::npos) << r.output;
}

TEST_F(CeleryBackendTest, GetWaitingBeforeTheResultHearsThePublish) {
  fixtures::SpawnOptions o = python();
  const auto out = std::filesystem::temp_directory_path() / ("gb-celery-get-" + std::to_string(::getpid()) + ".out");
  o.output = out;
  const pid_t pid = fixtures::spawn(o);
  const std::string channel = std::string("celery-task-meta-") + kTaskId;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (subscribers(channel) == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(subscribers(channel), 1) << fixtures::slurp(out);
  ASSERT_TRUE(client_->setex_and_publish(channel, 86400s, meta()).ok());
  const auto code = fixtures::wait_for(pid, 30s);
  if (!code) ::kill(-pid, SIGKILL);
  const std::string output = fixtures::slurp(out);
  std::filesystem::remove(out);
  ASSERT_TRUE(code.has_value()) << "python did not finish: " << output;
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("RESULT={'records': 3}"), std::string::npos) << output;
}

}  // namespace
}  // namespace gb::redis
