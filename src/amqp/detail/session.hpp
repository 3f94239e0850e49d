#pragma once
// The state behind amqp::Connection: one rabbitmq-c connection (owned through
// a unique_ptr with amqp_destroy_connection as deleter), its channel 1, and
// what the library leaves to the caller: answering the broker's close
// methods, reopening the channel after a channel error, reading a message's
// content frames with a size bound, and which delivery tags are outstanding.
#include <amqp.h>
#include <amqp_framing.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

#include "amqp/broker_url.hpp"
#include "amqp/connection.hpp"
#include "amqp/detail/errors.hpp"
#include "base/result.hpp"

namespace gb::amqp::detail {

struct StateDeleter {
  void operator()(amqp_connection_state_t state) const { amqp_destroy_connection(state); }
};
using StateHandle = std::unique_ptr<std::remove_pointer_t<amqp_connection_state_t>, StateDeleter>;

// A message's content: properties, body (or why it was dropped).
struct Content {
  Message message;
  std::uint64_t body_size = 0;
  std::optional<std::string> unreadable;
};

class Session {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  static Result<std::unique_ptr<Session>> open(const BrokerUrl& url, const ConnectionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool connection_open() const { return state_ != nullptr; }
  amqp_connection_state_t state() const { return state_.get(); }
  const ConnectionOptions& options() const { return options_; }
  const std::string& url() const { return url_; }

  // Opens channel 1 again if a channel error closed it (confirm.select too
  // when confirms were enabled); an error when the connection is gone.
  Status ensure_channel();
  // confirm.select on the channel, now and after every reopening.
  Status enable_confirms();
  // Counts every channel opening: tags and confirm numbers restart with it.
  std::uint64_t channel_epoch() const { return channel_epoch_; }
  // Publish sequence number of the channel (confirm mode): the next one.
  std::uint64_t next_publish_seq() { return ++published_; }

  bool consuming() const { return consuming_; }
  void set_consuming(bool on) { consuming_ = on; }

  // Turns a failed call into an Error and updates what is usable: answers a
  // channel.close / connection.close with its close-ok, forgets the channel
  // (and its outstanding tags) or drops the connection.
  Error fail(const amqp_rpc_reply_t& reply, std::string_view what);
  Error fail(int status, std::string_view what);
  // After a call that returns a pointer (NULL on failure): amqp_get_rpc_reply.
  Error fail_last_rpc(std::string_view what);
  // Drops the connection (closes the socket without a handshake): after a
  // timeout the protocol state is unknown.
  Error abandon(Error error);

  // The next frame within `timeout` (heartbeats are answered inside), or
  // nullopt when none came. The broker closing the channel or the connection
  // is an Error (after the close-ok). Frames of other channels are skipped.
  Result<std::optional<amqp_frame_t>> next_frame(std::chrono::milliseconds timeout);

  // After basic.deliver / basic.get-ok / basic.return: the content header and
  // body frames that follow on our channel. A body over max_body_bytes is read
  // and dropped (Content::unreadable). A missing frame within rpc_timeout
  // drops the connection.
  Result<Content> read_content(std::string_view what);

  void add_outstanding(std::uint64_t tag) { outstanding_.insert(tag); }
  bool take_outstanding(std::uint64_t tag) { return outstanding_.erase(tag) == 1; }

  // A "the connection is closed" error for calls made after it was lost.
  Error closed_error(std::string_view what) const;

 private:
  Session(StateHandle state, const BrokerUrl& url, const ConnectionOptions& options);
  Error apply(Failure failure, const amqp_method_t* close_method);
  Status open_channel();

  StateHandle state_;
  std::string url_;
  ConnectionOptions options_;
  bool channel_open_ = false;
  bool confirms_ = false;
  bool consuming_ = false;
  std::uint64_t channel_epoch_ = 0;
  std::uint64_t published_ = 0;
  std::set<std::uint64_t> outstanding_;
};

// Checks names before they reach rabbitmq-c, whose encoder would fail with
// an error that looks like a broken connection: AMQP short strings are at
// most 255 bytes.
Status check_short_string(std::string_view value, std::string_view what);

}  // namespace gb::amqp::detail
