#pragma once
/// Asking an actor from outside the actor system (HTTP hooks): a short-lived actor makes the
/// request and hands the answer, or the failure, to a callback on an actor thread.
#include <caf/all.hpp>

#include <chrono>
#include <functional>

#include "settings/defaults.hpp"

namespace barertc::actors {

/// Sends `xs...` to `dest` as a request; `done(answer)` with its reply of type R, or
/// `done(fallback)` when it fails or takes longer than ask_timeout_seconds.
template <class R, class... Ts>
void ask(caf::actor_system& sys, caf::actor dest, std::function<void(R)> done, R fallback, Ts... xs) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, std::chrono::seconds(barertc::defaults::ask_timeout_seconds), xs...)
        .then([done](R& r) { done(std::move(r)); }, [done, fallback](const caf::error&) { done(fallback); });
  });
}

}  // namespace barertc::actors
