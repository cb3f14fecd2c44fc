#pragma once
/// What cluster nodes say to each other through Redis pub/sub (docs/architecture.md,
/// "Clustering"), and the link that carries it as the chat sees it. No sockets here: net/redis_link
/// implements the link; actors/cluster*.cpp decide what to say.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barertc::protocol {

/// One message between nodes: what it is, which node sent it, and its fields. Frames already
/// encoded for the clients travel as fields, byte for byte, so each node sends them on untouched.
struct cluster_packet {
  std::string kind;
  std::string node;
  std::vector<std::string> fields;
};

/// Length-prefixed fields ("5:kind," style netstrings): binary-safe, no escaping, one copy.
std::string encode_packet(const cluster_packet& p);
/// The packet, or nothing when `bytes` is not one (the sender is another node, but the bytes
/// crossed a network: they are checked like any input).
std::optional<cluster_packet> decode_packet(std::string_view bytes);

/// The pub/sub link between the nodes. Thread-safe; no call blocks except claim_slot().
class cluster_link {
 public:
  /// Where received messages and link state changes go (called from the link's own thread).
  struct receiver {
    std::function<void(std::string topic, std::string payload)> message;
    std::function<void(bool up)> state;
  };
  virtual ~cluster_link() = default;
  /// This node's name among the nodes.
  virtual const std::string& node() const = 0;
  /// A random token of this process, so two processes given the same name notice each other.
  virtual const std::string& instance() const = 0;
  /// A number for this node, distinct among the running nodes (the low bits of its msgIDs).
  /// Asks Redis once at start-up, waiting at most a second; falls back to a hash of the name.
  virtual int64_t claim_slot() = 0;
  /// Subscribes to `topics` (names without the key prefix) and starts delivering to `r`.
  virtual void start(std::vector<std::string> topics, receiver r) = 0;
  /// Publishes on `topic`; dropped while Redis is unreachable (the room is local meanwhile).
  virtual void publish(std::string topic, std::string payload) = 0;
  /// Sets `key` to `value` for `ttl_ms` (this node's liveness key).
  virtual void set_expiring(std::string key, std::string value, int ttl_ms) = 0;
  /// Whether Redis is reachable now (/healthz says "degraded" when not).
  virtual bool up() const = 0;
  /// Sends what is queued (best effort), stops the threads and lets go of the receiver.
  virtual void stop() = 0;
};

}  // namespace barertc::protocol
