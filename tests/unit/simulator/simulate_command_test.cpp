// `genesys-bulk simulate` as a user runs it: one JSON line on stdout, serves
// until SIGTERM (exit 0); a bad flag is one line on stderr and exit 2.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "http_client.hpp"

extern char** environ;

namespace gb::simulator::test {
namespace {

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout
  int err = -1;  // read end of its stderr
};

Child spawn(std::vector<std::string> args) {
  args.insert(args.begin(), {GB_BINARY, "simulate"});
  int out[2], err[2];
  EXPECT_EQ(pipe(out), 0);
  EXPECT_EQ(pipe(err), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  EXPECT_EQ(posix_spawn(&c.pid, GB_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  c.out = out[0];
  c.err = err[0];
  return c;
}

std::string read_line(int fd) {
  std::string line;
  char ch;
  while (read(fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  return line;
}

std::string read_all(int fd) {
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<std::size_t>(n));
  return all;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SimulateCommandTest, PrintsOneJsonLineServesAndStopsOnSigterm) {
  auto child = spawn({"--port", "0", "--seed", "7", "--job", "bulk:users:50000:5000", "--job", "conversations:20000"});
  const std::string line = read_line(child.out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  const auto port = std::uint64_t(doc["port"]);
  EXPECT_GT(port, 0u);
  auto jobs = doc["jobs"].get_array();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(std::string_view(jobs.at(0)["type"]), "bulk:users");
  EXPECT_EQ(std::uint64_t(jobs.at(0)["records"]), 50000u);
  EXPECT_EQ(std::string_view(jobs.at(1)["type"]), "conversations");
  EXPECT_EQ(std::string_view(jobs.at(1)["jobId"]).size(), 36u);

  HttpCall login;
  login.method = "POST";
  login.url = "http://127.0.0.1:" + std::to_string(port) + "/oauth/token";
  login.body = "grant_type=client_credentials";
  login.user_password = "sim-client:sim-secret";
  EXPECT_EQ(http(login).status, 200);

  kill(child.pid, SIGTERM);
  EXPECT_EQ(wait_exit(child.pid), 0);
  EXPECT_EQ(read_all(child.out), "");  // exactly one line
  close(child.out);
  close(child.err);
}

TEST(SimulateCommandTest, BadFlagsGetOneLineAndExitCode2) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--job", "calls:10"}, {"--port", "x"}, {"--fault-5xx", "7.5"}, {"--no-such-flag"}}) {
    auto child = spawn(args);
    const auto err = read_all(child.err);
    EXPECT_EQ(wait_exit(child.pid), 2) << args[0];
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(read_all(child.out), "");
    close(child.out);
    close(child.err);
  }
}

}  // namespace
}  // namespace gb::simulator::test
