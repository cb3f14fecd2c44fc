#pragma once
/// The website's JSON APIs (server.md D.3) as the chat answers them: the request is checked in
/// protocol/admin_api.*, the room changed by the directory, /api/profile asks the profile webhook.
#include <functional>
#include <string>
#include <string_view>

#include "actors/messages.hpp"

namespace barertc::actors {

/// What the APIs reach: the actor system, the directory and the settings in force.
struct api_env {
  caf::actor_system* system;
  caf::actor directory;
  std::shared_ptr<config_cell> cell;
};

/// Answers one API call; `done(status, json)` from any thread.
void website_api(const api_env& env, const std::string& path, bool post, std::string_view content_type,
                 const std::string& body, std::function<void(int status, std::string json)> done);

}  // namespace barertc::actors
