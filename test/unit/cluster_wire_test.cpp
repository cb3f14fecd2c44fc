// Cluster packets (protocol/cluster_wire.hpp) and the [Cluster] settings: what nodes send each
// other survives the trip byte for byte, and what is not a packet is refused, not misread.
#include <catch2/catch.hpp>

#include "protocol/cluster_wire.hpp"
#include "settings/settings.hpp"

using namespace barertc;

TEST_CASE("a packet survives the trip with binary fields intact", "[cluster]") {
  std::string frame = "{\"action\":\"sdp\",\"description\":\"v=0\\r\\n\"}";
  std::string binary("a\0b,5:c", 7);
  protocol::cluster_packet p{"to", "node-1", {"bob", frame, binary, ""}};
  auto bytes = protocol::encode_packet(p);
  auto back = protocol::decode_packet(bytes);
  REQUIRE(back);
  CHECK(back->kind == "to");
  CHECK(back->node == "node-1");
  REQUIRE(back->fields.size() == 4);
  CHECK(back->fields[1] == frame);
  CHECK(back->fields[2] == binary);
  CHECK(back->fields[3].empty());
}

TEST_CASE("what is not a packet is refused", "[cluster]") {
  for (std::string bad : {"", "hello", "2:to,", "2:to,0:,", "2:to,6:node-1,5:abc,", "2:to,6:node-1,3:abc",
                          "2:to,6:node-1,x:abc,", "99999999999:a,", "-1:a,"})
    CHECK_FALSE(protocol::decode_packet(bad));
  CHECK(protocol::decode_packet("4:beat,2:n1,1:7,"));
}

TEST_CASE("Redis URLs are taken apart or refused with a reason", "[cluster][settings]") {
  auto ok = [](const std::string& url) {
    auto r = settings::parse_redis_url(url);
    REQUIRE(std::holds_alternative<settings::redis_endpoint>(r));
    return std::get<settings::redis_endpoint>(r);
  };
  auto e = ok("redis://127.0.0.1:6379/0");
  CHECK(e.host == "127.0.0.1");
  CHECK(e.port == 6379);
  CHECK(e.db == 0);
  e = ok("redis://:s3cret@redis.internal/2");
  CHECK(e.host == "redis.internal");
  CHECK(e.port == 6379);
  CHECK(e.db == 2);
  CHECK(e.password == "s3cret");
  CHECK(e.username.empty());
  e = ok("redis://chat:pw@10.0.0.5:7000");
  CHECK(e.username == "chat");
  CHECK(e.password == "pw");
  CHECK(e.port == 7000);
  for (std::string bad : {"http://x", "redis://", "redis://host:0", "redis://host:99999", "redis://host/x"})
    CHECK(std::holds_alternative<std::string>(settings::parse_redis_url(bad)));
}

TEST_CASE("[Cluster] is read, written and checked", "[cluster][settings]") {
  const std::string channel = "[[PublicChannels]]\nID = \"lobby\"\nName = \"Lobby\"\n";
  auto d = settings::defaults();
  CHECK_FALSE(d.cluster.enabled);
  CHECK(d.cluster.redis_url == "redis://127.0.0.1:6379/0");
  CHECK(d.cluster.key_prefix == "barertc:");
  auto round = settings::parse(settings::to_toml(d), "defaults");
  REQUIRE(std::holds_alternative<settings::settings>(round));
  CHECK(std::get<settings::settings>(round).cluster.redis_url == d.cluster.redis_url);

  auto r = settings::parse("[Cluster]\nEnabled = true\nRedisURL = \"redis://r:6380/1\"\nNodeName = \"web-2\"\n"
                           "KeyPrefix = \"chat:\"\n" + channel, "s.toml");
  REQUIRE(std::holds_alternative<settings::settings>(r));
  auto& c = std::get<settings::settings>(r).cluster;
  CHECK(c.enabled);
  CHECK(c.node_name == "web-2");
  CHECK(c.key_prefix == "chat:");

  auto bad = settings::parse("[Cluster]\nEnabled = 1\nRedisURL = \"tcp://r\"\nNodeName = \"a b\"\nPort = 1\n" + channel,
                             "s.toml");
  REQUIRE(std::holds_alternative<settings::errors>(bad));
  auto& ps = std::get<settings::errors>(bad).problems;
  auto has = [&](const std::string& what) {
    for (auto& p : ps)
      if (p.find(what) != std::string::npos) return true;
    return false;
  };
  CHECK(has("s.toml:2: 'Cluster.Enabled' must be true or false"));
  CHECK(has("'Cluster.RedisURL' must be a Redis URL"));
  CHECK(has("'Cluster.NodeName' must be"));
  CHECK(has("unknown key 'Cluster.Port'"));
}
