#pragma once
/// The media workers (actors/media.cpp) and the count of jobs they have in hand. The count is
/// the one piece of state users share here: an atomic, like the msgID sequence, so an upload
/// over `MaxImageJobs` is refused at once instead of queueing behind the others.
#include <caf/all.hpp>

#include <atomic>
#include <vector>

namespace barertc::actors {

class media_pool {
 public:
  /// Spawns `workers` detached actors (each on a thread of its own, at a lower priority).
  media_pool(caf::actor_system& sys, int workers);
  /// Counts a new job in; false (nothing counted) when `limit` jobs are already in hand.
  bool take(int limit);
  /// A job taken with take() has finished.
  void done();
  /// The next worker, round robin.
  const caf::actor& pick();
  void stop();

 private:
  std::vector<caf::actor> workers_;
  std::atomic<int> jobs_{0};
  std::atomic<size_t> next_{0};
};

}  // namespace barertc::actors
