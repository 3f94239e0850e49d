#pragma once
// Runs the genesys-bulk binary as a child process, the way a user would.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace gb::testing {

// The environment of a child that talks to the simulator: its default
// credentials, and nothing of the test's own environment.
inline const std::vector<std::string> kSimEnv = {"GENESYS_CLIENT_ID=sim-client", "GENESYS_CLIENT_SECRET=sim-secret",
                                                 "PATH=/usr/bin:/bin"};

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// A started child whose stdout and stderr go to files.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& out_path,
        const std::string& err_path)
      : out_path_(out_path), err_path_(err_path) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(GB_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&pid_, GB_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void kill9() { ::kill(pid_, SIGKILL); }
  void signal(int signo) { ::kill(pid_, signo); }
  pid_t pid() const { return pid_; }

  ChildResult wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ChildResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out_path_);
    r.err = slurp(err_path_);
    return r;
  }

  static std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
};

}  // namespace gb::testing
