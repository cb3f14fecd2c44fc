#pragma once
/// Spawn functions of the chat actors.
#include <map>

#include "actors/messages.hpp"

namespace barertc::actors {
class media_pool;
}

namespace barertc::actors {

/// A public channel: its members and the fan-out of its messages.
caf::actor spawn_channel(caf::actor_system& sys, context_ptr ctx, settings::channel channel);

/// Who is online: name uniqueness, the who list, presence, DM threads and signalling routes.
caf::actor spawn_directory(caf::actor_system& sys, std::shared_ptr<config_cell> cell, std::vector<caf::actor> channels);

/// One DM thread between two online users; `history` (may be empty) keeps what it delivers.
caf::actor spawn_dm_thread(caf::actor_system& sys, std::string a, protocol::connection_ptr a_conn,
                           std::string b, protocol::connection_ptr b_conn,
                           std::shared_ptr<storage::dm_history> history);

/// The cluster bridge: packets from the other nodes to the channel or directory they are for.
caf::actor spawn_cluster_bridge(caf::actor_system& sys, std::string node, std::string instance, caf::actor directory,
                                std::shared_ptr<const std::map<std::string, caf::actor>> channels);

/// Whether /shutdown or /api/shutdown asked for the process to stop (lifecycle.cpp).
bool restart_requested();

/// Fills a who entry from verified claims (server.md D.2): at login and on /api/amend-jwt.
void apply_claims(protocol::who_entry& who, const protocol::jwt_claims& c, const settings::settings& cfg);

/// One connected client: parses its frames and applies the chat rules to them.
caf::actor spawn_user(caf::actor_system& sys, context_ptr ctx, protocol::connection_ptr conn,
                      caf::actor directory, std::shared_ptr<const std::map<std::string, caf::actor>> channels,
                      std::shared_ptr<media_pool> media);

}  // namespace barertc::actors
