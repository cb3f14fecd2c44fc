#pragma once
/// The cluster's pub/sub link to Redis (docs/architecture.md, "Clustering"): hiredis on two
/// threads of its own, one publishing (pipelined batches) and one subscribed, each reconnecting
/// with back-off. Knows sockets and Redis, not chat rules.
#include <memory>
#include <string>

#include "protocol/cluster_wire.hpp"
#include "settings/settings.hpp"

namespace barertc::net {

/// A cluster_link over Debian's hiredis.
class redis_link final : public protocol::cluster_link {
 public:
  /// `prefix` goes before every key and channel name; nothing connects before claim_slot/start.
  redis_link(settings::redis_endpoint where, std::string prefix, std::string node);
  ~redis_link() override;
  redis_link(const redis_link&) = delete;
  redis_link& operator=(const redis_link&) = delete;

  const std::string& node() const override;
  const std::string& instance() const override;
  int64_t claim_slot() override;
  void start(std::vector<std::string> topics, receiver r) override;
  void publish(std::string topic, std::string payload) override;
  void set_expiring(std::string key, std::string value, int ttl_ms) override;
  bool up() const override;
  /// Stops both threads (the destructor does it too).
  void stop() override;

  struct impl;  ///< Defined in redis_link.cpp.

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace barertc::net
