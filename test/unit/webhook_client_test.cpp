// The webhook client (net/webhook_client.*): bounded, and every call gets an answer.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/webhook_client.hpp"

using barertc::net::webhook_client;
using barertc::protocol::webhook_result;

TEST_CASE("calls over the queue limit are dropped at once, and a dead website is an error", "[webhook]") {
  std::atomic<int> answered{0}, dropped{0};
  {
    // One thread, no waiting room: with a call in hand, the next ones are dropped.
    webhook_client client(1, 0, 2);
    for (int i = 0; i < 3; ++i)
      client.post("http://127.0.0.1:1/none", "{}", [&](webhook_result r) {
        if (r.error.find("too many") != std::string::npos) ++dropped;
        ++answered;
      });
    CHECK(dropped == 3);  // queue limit 0: nothing may wait
  }
  webhook_client client(1, 4, 2);
  std::atomic<bool> done{false};
  webhook_result got;
  client.post("http://127.0.0.1:1/none", "{}", [&](webhook_result r) {
    got = std::move(r);
    done = true;
  });
  for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(done);
  CHECK_FALSE(got.ok);
  CHECK(got.error.find("could not reach the website") == 0);
  CHECK(got.error.find("aborted") == std::string::npos);
}
