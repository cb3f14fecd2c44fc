// The bridge between the Redis link's thread and the chat actors: it reads each packet from the
// other nodes once and hands it to the actor it is for (a public channel's messages to that
// channel, everything else to the directory). Packets this node sent itself come back through
// the subscription and stop here.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"

namespace barertc::actors {
namespace {

struct bridge_state {
  int64_t bad = 0;  ///< packets that could not be read
  int64_t twins = 0;  ///< heartbeats from another process with this node's name
  static inline const char* name = "cluster-bridge";
};

caf::behavior bridge_behavior(caf::stateful_actor<bridge_state>* self, std::string node, std::string instance,
                              caf::actor directory,
                              std::shared_ptr<const std::map<std::string, caf::actor>> channels) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("cluster-bridge", e); });
  return {
      [=](cluster_atom, const std::string& topic, const std::string& payload) {
        auto p = protocol::decode_packet(payload);
        if (!p) {
          if (self->state.bad++ % 1000 == 0)
            spdlog::warn("cluster: a message on '{}' is no cluster packet ({} so far): is another program using the key prefix?",
                         topic, self->state.bad);
          return;
        }
        if (p->node == node) {
          // Our own packets come back; a heartbeat of another process under our name means two
          // processes share a NodeName and would never hear each other.
          if (p->kind == "beat" && p->fields.size() >= 2 && p->fields[1] != instance && self->state.twins++ % 30 == 0)
            spdlog::error("cluster: another process also calls itself node '{}': give each process its own "
                          "[Cluster] NodeName, or the two never see each other's users", node);
          return;
        }
        if (topic.rfind("room:", 0) == 0) {
          if (auto ch = channels->find(topic.substr(5)); ch != channels->end())
            self->send(ch->second, cluster_atom::value, std::move(*p));
          return;
        }
        self->send(directory, cluster_atom::value, std::move(*p));
      },
      [=](linkup_atom, bool up) { self->send(directory, linkup_atom::value, up); },
  };
}

}  // namespace

caf::actor spawn_cluster_bridge(caf::actor_system& sys, std::string node, std::string instance, caf::actor directory,
                                std::shared_ptr<const std::map<std::string, caf::actor>> channels) {
  return sys.spawn(bridge_behavior, std::move(node), std::move(instance), std::move(directory), std::move(channels));
}

}  // namespace barertc::actors
