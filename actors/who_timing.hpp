#pragma once
/// When the next who list goes out (a pure function, unit-tested in test/unit/who_timing_test.cpp).
///
/// The list goes out once the roster has been quiet for a moment, or at the latest when the
/// oldest unsent change is max_wait old. A list to everyone costs O(N^2) bytes, so both grow with
/// the room: quiet = N^2/16000 ms (at most 1 s), max_wait = N^2/800 ms (at most 2 min), neither
/// below WhoListDelayMs. At 1000 users a change shows after 62 ms, at 2000 after 250 ms; a join
/// storm costs a handful of lists instead of one per join. Lists are also at least
/// min_gap = N^2/4000 ms apart (1 s at 2000 users, 25 s at 10000): sending one keeps the network
/// busy, which stalls the logins in flight, which looks like a quiet roster; without the gap a big
/// room's storm fed on itself (a 10000-user storm received 120 GB of lists, mostly the same list).
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace barertc::actors {

struct who_timing {
  using time_point = std::chrono::steady_clock::time_point;
  size_t users = 0;
  int64_t base_ms = 50;       ///< WhoListDelayMs
  time_point first_change{};  ///< the oldest change not yet in a sent list
  time_point last_change{};
  time_point last_sent{};
};

/// The moment the pending list is due.
std::chrono::steady_clock::time_point who_list_due(const who_timing& t);

}  // namespace barertc::actors
