// One actor per pair of users that talk privately: it delivers both copies of each DM and keeps
// the last few lines, for the context of a report about the conversation. With DM history on, what
// it delivers goes to the history thread too.
#include <deque>

#include "actors/actors.hpp"
#include "actors/reports.hpp"
#include "protocol/codec.hpp"
#include "protocol/names.hpp"
#include "protocol/plain_text.hpp"

namespace barertc::actors {
namespace {

struct dm_state {
  std::deque<std::string> recent;  ///< "[sender] text", newest last (report_context_lines)
  static inline const char* name = "dm-thread";
};

caf::behavior dm_behavior(caf::stateful_actor<dm_state>* self, std::string a, protocol::connection_ptr a_conn,
                          std::string b, protocol::connection_ptr b_conn,
                          std::shared_ptr<storage::dm_history> history) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("dm-thread", e); });
  return {
      // `msg` comes from its `username` with text and msgID filled in. The sender always gets
      // their copy (naming the other party); the receiver's (naming the sender) only when the
      // directory's rules let it through (protocol.md B.5). Only a delivered DM is stored, and
      // only when `keep` (shared images are not: each may be megabytes).
      [=](dm_atom, protocol::message msg, bool deliver, bool keep) {
        keep_context_line(self->state.recent, context_line(msg));
        bool from_a = msg.username == a;
        const auto& other = from_a ? b : a;
        // Queued before the sender hears back, so a history read after that finds it.
        if (deliver && keep && history) history->store({msg.msg_id, msg.username, other, msg.message, unix_now()});
        msg.channel = "@" + other;
        (from_a ? a_conn : b_conn)->send(protocol::encode_frame(msg));
        if (!deliver) return;
        msg.channel = "@" + msg.username;
        (from_a ? b_conn : a_conn)->send(protocol::encode_frame(msg));
      },
      // A report about this conversation (the Report button, or a message filter when `tell_conn`
      // is empty): the recent lines go in its comment.
      [=](report_atom, protocol::report r, const protocol::connection_ptr& tell_conn, const context_ptr& ctx) {
        add_context(r, self->state.recent);
        send_report(*ctx, r, tell_conn ? tell_by_notice(tell_conn) : nullptr);
      },
  };
}

}  // namespace

caf::actor spawn_dm_thread(caf::actor_system& sys, std::string a, protocol::connection_ptr a_conn,
                           std::string b, protocol::connection_ptr b_conn,
                           std::shared_ptr<storage::dm_history> history) {
  return sys.spawn(dm_behavior, std::move(a), std::move(a_conn), std::move(b), std::move(b_conn), std::move(history));
}

}  // namespace barertc::actors
