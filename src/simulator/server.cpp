#include "simulator/simulator.hpp"

// Temporary: the public API compiles and links while the server is written.
// start() refuses honestly until then.
namespace gb::simulator {

struct Server::Impl {};

Result<std::unique_ptr<Server>> Server::start(const Settings&) {
  return internal_error("simulator server: not implemented yet");
}
Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
std::uint16_t Server::port() const { return 0; }
std::string Server::base_url() const { return {}; }
std::vector<JobSummary> Server::jobs() const { return {}; }
std::vector<std::string> Server::expected_keys(const std::string&) const { return {}; }
Result<DataParams> Server::data_params(const std::string&) const { return internal_error("not implemented yet"); }
std::string Server::stats_json() const { return "{}"; }
void Server::revoke_tokens() {}
void Server::start_outage(std::chrono::milliseconds) {}

}  // namespace gb::simulator
