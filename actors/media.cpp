// Media workers: the heavy work of shared images (parsing a photo-sized frame, decoding and
// re-encoding the picture) on threads of their own, off the I/O threads and off the channel
// actors, so one user's 8 MiB photo does not hold up anyone's chat.
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actors/actors.hpp"
#include "actors/media.hpp"
#include "settings/defaults.hpp"

namespace barertc::actors {
namespace {

struct media_state {
  static inline const char* name = "media";
};

using media_ptr = caf::stateful_actor<media_state>*;

/// The worker's own thread (a detached actor keeps one) yields to the chat threads. The flag is
/// the thread's, not the actor state's: CAF 0.17 may construct a state from the actor pointer,
/// which left a `bool niced` member true from the start and the priority never lowered.
void nice_once(media_ptr) {
  thread_local bool niced = false;
  if (niced) return;
  niced = true;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), barertc::defaults::media_worker_nice) != 0)
    spdlog::debug("media worker: could not lower its priority");
}

caf::behavior media_behavior(media_ptr self) {
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("media", e); });
  return {
      [=](decode_atom, const std::string& text) -> decode_result {
        nice_once(self);
        return protocol::decode(text);
      },
      [=](image_atom, int t, const std::string& bytes, const protocol::image::limits& lim) -> image_result {
        nice_once(self);
        try {
          return protocol::image::process(static_cast<protocol::image::type>(t), bytes, lim);
        } catch (const std::exception& e) {
          spdlog::error("media worker: an image raised an exception: {}", e.what());
          return protocol::image::refusal{"The server could not process it."};
        }
      },
  };
}

}  // namespace

media_pool::media_pool(caf::actor_system& sys, int workers) {
  for (int i = 0; i < std::max(workers, 1); ++i) workers_.push_back(sys.spawn<caf::detached>(media_behavior));
}

bool media_pool::take(int limit) {
  if (jobs_.fetch_add(1, std::memory_order_relaxed) >= limit) {
    jobs_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void media_pool::done() { jobs_.fetch_sub(1, std::memory_order_relaxed); }

const caf::actor& media_pool::pick() {
  return workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void media_pool::stop() {
  for (auto& w : workers_) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

}  // namespace barertc::actors
