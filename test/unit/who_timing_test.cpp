// When the next who list is due (actors/who_timing.hpp).
#include <catch2/catch.hpp>

#include "actors/who_timing.hpp"

using barertc::actors::who_list_due;
using barertc::actors::who_timing;
using ms = std::chrono::milliseconds;

TEST_CASE("a small room's list is due one delay after the last change") {
  who_timing t;
  t.users = 10;
  t.base_ms = 50;
  t.first_change = t.last_change = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(who_list_due(t) == t.last_change + ms(50));
}

TEST_CASE("a big room waits for quiet, but never past the max wait, and keeps the gap") {
  who_timing t;
  t.users = 2000;  // quiet 250 ms, max wait 5 s, gap 1 s
  auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  t.first_change = start;
  t.last_change = start + ms(100);
  t.last_sent = start - ms(10000);
  CHECK(who_list_due(t) == start + ms(350));
  t.last_change = start + ms(4900);  // changes keep coming: the max wait decides
  CHECK(who_list_due(t) == start + ms(5000));
  t.last_sent = start + ms(4500);  // a list just went out: the gap decides
  CHECK(who_list_due(t) == start + ms(5500));
}
