#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "protocol/log_format.hpp"
#include "protocol/metrics.hpp"
#include "protocol/plain_text.hpp"

using namespace barertc::protocol;

TEST_CASE("the delivery histogram is cumulative and its +Inf bucket equals its count", "[metrics]") {
  counters c;
  c.delivery_queue.observe(std::chrono::microseconds(100));  // <= 0.5 ms
  c.delivery_queue.observe(std::chrono::milliseconds(30));   // <= 50 ms
  c.delivery_queue.observe(std::chrono::seconds(10));        // over every bound
  auto text = prometheus_text(c, chat_gauges{}, process_stats{});
  CHECK(text.find("# TYPE barertc_delivery_queue_seconds histogram\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_bucket{le=\"0.025\"} 1\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_bucket{le=\"0.05\"} 2\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_bucket{le=\"2.5\"} 2\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("barertc_delivery_queue_seconds_sum 10.0301\n") != std::string::npos);
  CHECK(text.find("barertc_build_info{version=\"") != std::string::npos);
  // Unknown process figures are left out rather than reported as -1.
  CHECK(text.find("process_open_fds") == std::string::npos);
  process_stats p;
  p.open_fds = 12;
  p.cpu_seconds = 1.5;
  auto with = prometheus_text(c, chat_gauges{}, p);
  CHECK(with.find("# TYPE process_open_fds gauge\nprocess_open_fds 12\n") != std::string::npos);
  CHECK(with.find("process_cpu_seconds_total 1.5\n") != std::string::npos);
}

TEST_CASE("this process's own figures can be read", "[metrics]") {
  auto p = read_process_stats();
  CHECK(p.open_fds > 2);
  CHECK(p.resident_bytes > 0);
  CHECK(p.cpu_seconds >= 0);
  CHECK(p.start_time_seconds > 1.5e9);
}

TEST_CASE("log lines: JSON objects with escaped text, HTML notices as plain text", "[log]") {
  CHECK(json_log_line(784111777123, "warn", "say \"hi\"\n\\ \x01") ==
        "{\"time\":\"1994-11-06T08:49:37.123Z\",\"level\":\"warn\",\"msg\":\"say \\\"hi\\\"\\n\\\\ \\u0001\"}\n");
  CHECK(plain_text("You are banned from <b>this</b> room.<br>Ask &lt;ops&gt; &amp; wait") ==
        "You are banned from this room. Ask <ops> & wait");
  CHECK(plain_text("line\none") == "line one");
}
