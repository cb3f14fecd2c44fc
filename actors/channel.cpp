// Public channels and DM threads: the fan-out end of the chat.
#include <unordered_map>

#include "actors/actors.hpp"
#include "protocol/codec.hpp"

namespace barertc::actors {
namespace {

struct channel_state {
  settings::channel channel;
  std::unordered_map<std::string, protocol::connection_ptr> members;
  static inline const char* name = "channel";
};

caf::behavior channel_behavior(caf::stateful_actor<channel_state>* self, context_ptr ctx,
                               settings::channel channel) {
  (void)ctx;
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("channel", e); });
  self->state.channel = std::move(channel);
  return {
      [=](join_atom, const std::string& username, const protocol::connection_ptr& conn) {
        self->state.members[username] = conn;
      },
      [=](leave_atom, const std::string& username) { self->state.members.erase(username); },
      [=](stats_atom, count_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      [=](publish_atom, const protocol::message& msg) {
        // Serialised once; every member's connection shares the same bytes.
        auto bytes = protocol::encode_frame(msg);
        for (auto& [name, conn] : self->state.members) conn->send(bytes);
      },
  };
}

struct dm_state {
  static inline const char* name = "dm-thread";
};

caf::behavior dm_behavior(caf::stateful_actor<dm_state>* self, std::string a,
                          protocol::connection_ptr a_conn, std::string b,
                          protocol::connection_ptr b_conn) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("dm-thread", e); });
  return {
      // `msg` comes from `from` and has its username, text and msgID filled in.
      [=](dm_atom, protocol::message msg) {
        bool from_a = msg.username == a;
        const auto& other = from_a ? b : a;
        // The sender's copy names the other party; the receiver's names the sender.
        msg.channel = "@" + other;
        (from_a ? a_conn : b_conn)->send(protocol::encode_frame(msg));
        msg.channel = "@" + msg.username;
        (from_a ? b_conn : a_conn)->send(protocol::encode_frame(msg));
      },
  };
}

}  // namespace

caf::actor spawn_channel(caf::actor_system& sys, context_ptr ctx, settings::channel channel) {
  return sys.spawn(channel_behavior, std::move(ctx), std::move(channel));
}

caf::actor spawn_dm_thread(caf::actor_system& sys, std::string a, protocol::connection_ptr a_conn,
                           std::string b, protocol::connection_ptr b_conn) {
  return sys.spawn(dm_behavior, std::move(a), std::move(a_conn), std::move(b), std::move(b_conn));
}

}  // namespace barertc::actors
