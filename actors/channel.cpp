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
  static inline const char* name = "channel";
};


caf::behavior channel_behavior(caf::stateful_actor<channel_state>* self, settings::channel channel) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("channel", e); });
  self->state.echo = echo_buffer(static_cast<size_t>(std::max(channel.echo_messages_on_join, 0)));
  self->state.channel = std::move(channel);
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
        // Serialised once; every member the relations let through shares the same bytes.
        fan_out(protocol::encode_frame(msg), msg.username, self->state.members, self->state.rel,
                [](const protocol::connection_ptr& c) -> const protocol::connection_ptr& { return c; });
        if (self->state.echo.capacity() == 0) return;
        msg.timestamp = protocol::rfc3339(unix_now());
        self->state.echo.push(msg.msg_id, msg.username, protocol::encode_frame(msg));
      },
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
  (void)ctx;
  return sys.spawn(channel_behavior, std::move(channel));
}

}  // namespace barertc::actors
