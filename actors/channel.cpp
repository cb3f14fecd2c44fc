// A public channel: its members, its copy of the relations between users, the fan-out of its
// messages, and its recent messages for users who join (EchoMessagesOnJoin).
#include <chrono>
#include <unordered_map>

#include "actors/actors.hpp"
#include "actors/echo_buffer.hpp"
#include "actors/fan_out.hpp"
#include "protocol/codec.hpp"

namespace barertc::actors {
namespace {

struct channel_state {
  settings::channel channel;
  std::unordered_map<std::string, protocol::connection_ptr> members;
  relations rel;  ///< kept in step by the directory
  echo_buffer echo;
  std::shared_ptr<protocol::cluster_link> cluster;  ///< empty unless [Cluster] Enabled
  static inline const char* name = "channel";
};


using channel_ptr = caf::stateful_actor<channel_state>*;

void fan_out_here(channel_ptr self, const protocol::frame& bytes, const std::string& sender) {
  fan_out(bytes, sender, self->state.members, self->state.rel,
          [](const protocol::connection_ptr& c) -> const protocol::connection_ptr& { return c; });
}

/// A message of this channel posted on another node: its members here get the same bytes, and
/// the echo buffer keeps it for late joiners as the sender's node does.
void from_other_node(channel_ptr self, protocol::cluster_packet& p) {
  auto& f = p.fields;
  if (p.kind != "msg" || f.size() != 4) return;
  fan_out_here(self, protocol::shared_frame(std::move(f[2])), f[0]);
  if (self->state.echo.capacity() == 0 || f[3].empty()) return;
  try {
    self->state.echo.push(std::stoll(f[1]), f[0], protocol::shared_frame(std::move(f[3])));
  } catch (const std::exception&) {
  }
}

caf::behavior channel_behavior(channel_ptr self, settings::channel channel,
                               std::shared_ptr<protocol::cluster_link> cluster) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("channel", e); });
  self->state.echo = echo_buffer(static_cast<size_t>(std::max(channel.echo_messages_on_join, 0)));
  self->state.channel = std::move(channel);
  self->state.cluster = std::move(cluster);
  return {
      [=](join_atom, const std::string& username, const protocol::connection_ptr& conn) {
        self->state.members[username] = conn;
      },
      [=](leave_atom, const std::string& username) { self->state.members.erase(username); },
      [=](relate_atom, const std::vector<relation_change>& changes) {
        for (auto& c : changes) self->state.rel.apply(c);
      },
      [=](forget_atom, const std::string& username) { self->state.rel.forget(username); },
      [=](stats_atom, count_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      [=](publish_atom, protocol::message& msg) {
        // Serialised once; every member the relations let through shares the same bytes, and
        // in a cluster the same bytes go to the other nodes once.
        auto bytes = protocol::encode_frame(msg);
        fan_out_here(self, bytes, msg.username);
        protocol::frame echoed;
        if (self->state.echo.capacity() > 0) {
          msg.timestamp = protocol::rfc3339(unix_now());
          echoed = protocol::encode_frame(msg);
          self->state.echo.push(msg.msg_id, msg.username, echoed);
        }
        if (auto& link = self->state.cluster)
          link->publish("room:" + self->state.channel.id,
                        protocol::encode_packet({"msg", link->node(),
                                                 {msg.username, std::to_string(msg.msg_id), *bytes,
                                                  echoed ? std::string(*echoed) : std::string()}}));
      },
      [=](cluster_atom, protocol::cluster_packet& p) { from_other_node(self, p); },
      // The recent messages `viewer` may see, for their `echo` after login.
      [=](echo_atom, const std::string& viewer) { return self->state.echo.visible_to(viewer, self->state.rel); },
      [=](takeback_atom, int64_t msg_id) { self->state.echo.erase(msg_id); },
      [=](reconfig_atom, const context_ptr& ctx) {
        for (auto& c : ctx->cfg.public_channels)
          if (c.id == self->state.channel.id) {
            self->state.channel = c;
            self->state.echo.resize(static_cast<size_t>(std::max(c.echo_messages_on_join, 0)));
          }
      },
  };
}

}  // namespace

caf::actor spawn_channel(caf::actor_system& sys, context_ptr ctx, settings::channel channel) {
  return sys.spawn(channel_behavior, std::move(channel), ctx->cluster);
}

}  // namespace barertc::actors
