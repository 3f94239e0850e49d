#pragma once
// A private S3-compatible server for one test: s3rver (npm, pinned in
// tests/s3server/, installed by scripts/setup) on a free port of 127.0.0.1,
// serving buckets from a temporary directory, with one bucket created at
// start. Started by the constructor, which returns once the port answers;
// killed with its process group by stop() / the destructor (and by a watchdog
// if the test process dies). Throws std::runtime_error when it cannot start.
// Not thread-safe.
//
// s3rver knows one account: access key id "S3RVER" (another id is refused
// with InvalidAccessKeyId). It does not check SigV4 signatures at all (any
// secret is accepted), so it proves the data path, not the signing: that is
// sigv4_test's job (AWS's vectors and botocore).
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "testing/server_process.hpp"

namespace gb::fixtures {

class S3Server {
 public:
  static constexpr const char* kNode = "/usr/bin/node";
  static constexpr const char* kAccessKeyId = "S3RVER";
  static constexpr const char* kSecretAccessKey = "S3RVER";

  // GB_SOURCE_DIR: the repository (gb_test defines it; so must a benchmark).
  static std::filesystem::path script() {
    return std::filesystem::path(GB_SOURCE_DIR) / "tests/s3server/node_modules/s3rver/bin/s3rver.js";
  }
  // node and the npm package are there (scripts/setup installs both).
  static bool available() { return ::access(kNode, X_OK) == 0 && std::filesystem::exists(script()); }

  // tls: serve https with a self-signed certificate made here (openssl
  // req), which no client trusts: for the test that verification is on.
  explicit S3Server(std::string bucket = "gb-test-bucket", bool tls = false)
      : bucket_(std::move(bucket)), tls_(tls), dir_("gb-s3rver") {
    std::filesystem::create_directories(dir_.path() / "data");
    if (tls_) make_certificate();
    start();
  }

  ~S3Server() { stop(); }
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  int port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  // http://127.0.0.1:<port>
  std::string endpoint() const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_);
  }
  // Where s3rver keeps the buckets (tests read it only through S3 clients).
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::chrono::milliseconds startup() const { return startup_; }
  // s3rver's log: one line per answered request ("PUT /bucket/key?partNumber=1&uploadId=... 200 ...").
  std::string log() const { return slurp(dir_.path() / "s3rver.log"); }

  void stop() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      wait_for(pid_, std::chrono::seconds(10));
      pid_ = -1;
    }
    watchdog_.reset();
  }

  // Starts it again on the same port and directory (after stop()).
  void start() {
    if (pid_ > 0) return;
    if (port_ == 0) port_ = free_port();
    SpawnOptions o;
    o.argv = {kNode,       script().string(), "--directory",         data_dir().string(), "--address",
              "127.0.0.1", "--port",          std::to_string(port_), "--no-vhost-buckets"};
    if (tls_) {
      for (const std::string file : {"key", "cert"}) {
        o.argv.push_back("--" + file);
        o.argv.push_back((dir_.path() / (file + ".pem")).string());
      }
    }
    // Last: the list of configuration files it takes runs to the end.
    o.argv.push_back("--configure-bucket");
    o.argv.push_back(bucket_);
    o.env = {"PATH=/usr/bin:/bin", "HOME=" + dir_.path().string(), "NODE_ENV=production"};
    o.output = dir_.path() / "s3rver.log";
    o.cwd = dir_.path();
    const auto began = std::chrono::steady_clock::now();
    pid_ = spawn(o);
    watchdog_ = std::make_unique<GroupWatchdog>(pid_);
    const auto deadline = began + std::chrono::seconds(30);
    for (;;) {
      // Any HTTP answer means it serves (the bucket is configured before listen).
      // (Over TLS, accepting connections is all we can see without a handshake.)
      if (tls_ ? port_accepts(port_)
               : tcp_exchange(port_, "HEAD /" + bucket_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                              12, std::chrono::milliseconds(500))
                         .rfind("HTTP/1.1", 0) == 0) {
        break;
      }
      if (wait_for(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        throw std::runtime_error("s3rver exited at start:\n" + tail(dir_.path() / "s3rver.log"));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        stop();
        throw std::runtime_error("s3rver did not answer in 30 s:\n" + tail(dir_.path() / "s3rver.log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    startup_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  }

 private:
  void make_certificate() {
    SpawnOptions o;
    o.argv = {"/usr/bin/openssl", "req",  "-x509",    "-newkey", "rsa:2048", "-nodes", "-keyout",
              "key.pem",          "-out", "cert.pem", "-days",   "1",        "-subj",  "/CN=127.0.0.1"};
    o.env = {"PATH=/usr/bin:/bin", "HOME=" + dir_.path().string()};
    o.cwd = dir_.path();
    const Finished f = run(o, dir_.path(), std::chrono::seconds(60));
    if (f.exit_code != 0) throw std::runtime_error("openssl req failed:\n" + f.output);
  }

  std::string bucket_;
  bool tls_ = false;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<GroupWatchdog> watchdog_;
  std::chrono::milliseconds startup_{0};
};

}  // namespace gb::fixtures
