// When the next who list goes out (the formula is explained in who_timing.hpp).
#include "actors/who_timing.hpp"

#include <algorithm>

#include "settings/defaults.hpp"

namespace barertc::actors {

std::chrono::steady_clock::time_point who_list_due(const who_timing& t) {
  namespace d = barertc::defaults;
  using ms = std::chrono::milliseconds;
  auto n = static_cast<int64_t>(t.users);
  auto n2 = n * n;
  auto quiet = ms(std::clamp<int64_t>(n2 / d::who_quiet_divisor, t.base_ms, std::max(t.base_ms, d::who_quiet_max_ms)));
  auto max_wait = ms(std::clamp<int64_t>(n2 / d::who_max_wait_divisor, t.base_ms,
                                         std::max(t.base_ms, d::who_max_wait_max_ms)));
  auto min_gap = ms(std::min<int64_t>(n2 / d::who_min_gap_divisor, d::who_min_gap_max_ms));
  return std::max(std::min(t.last_change + quiet, t.first_change + max_wait), t.last_sent + min_gap);
}

}  // namespace barertc::actors
