// The relations between users and the fan-out decision they drive (actors/relations.hpp).
#include <catch2/catch.hpp>

#include <map>

#include "actors/fan_out.hpp"
#include "actors/relations.hpp"

using barertc::actors::fan_out;
using barertc::actors::relation;
using barertc::actors::relations;

namespace {

/// A connection that counts what it was handed.
struct counting {
  mutable std::vector<barertc::protocol::frame> got;
  mutable std::vector<barertc::protocol::batch> batches;
  void send(barertc::protocol::frame f, bool = false) const { got.push_back(std::move(f)); }
  void send_batch(const barertc::protocol::batch& b) const { batches.push_back(b); }
};

std::map<std::string, std::vector<std::string>> deliver(const relations& rel, const std::string& sender,
                                                        std::vector<std::string> names) {
  std::map<std::string, counting> members;
  for (auto& n : names) members[n];
  auto bytes = barertc::protocol::shared_frame("frame");
  fan_out(bytes, sender, members, rel, [](const counting& c) { return &c; });
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [n, c] : members) {
    for (auto& f : c.got) {
      CHECK(f.get() == bytes.get());  // the same bytes, never a copy
      out[n].push_back(*f);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a broadcast skips those who muted the sender and both sides of a block") {
  relations rel;
  CHECK(rel.empty());
  CHECK(rel.apply({relation::mute, "ann", "ben", true}));
  CHECK_FALSE(rel.apply({relation::mute, "ann", "ben", true}));  // already so
  CHECK(rel.apply({relation::block, "cat", "ben", true}));
  auto got = deliver(rel, "ben", {"ann", "ben", "cat", "dan"});
  CHECK(got.count("ann") == 0);
  CHECK(got.count("cat") == 0);
  CHECK(got.count("ben") == 1);
  CHECK(got.count("dan") == 1);
  // From cat, the block works the other way too; ann's mute of ben does not matter.
  got = deliver(rel, "cat", {"ann", "ben", "cat", "dan"});
  CHECK(got.count("ben") == 0);
  CHECK(got.size() == 3);
}

TEST_CASE("a batch of lines: one shared batch for most, only the lines each may see for the rest") {
  relations rel;
  rel.apply({relation::mute, "ann", "ben", true});   // ann does not see ben's lines
  rel.apply({relation::block, "cat", "dan", true});  // cat and dan see none of each other's
  std::map<std::string, counting> members;
  for (auto n : {"ann", "ben", "cat", "dan", "eve"}) members[n];
  barertc::actors::batch_lines lines;
  for (auto n : {"ben", "dan", "eve"}) lines.emplace_back(n, barertc::protocol::shared_frame(std::string(n) + " joined"));
  fan_out(lines, members, rel, [](const counting& c) { return &c; });
  auto texts = [&](const std::string& n) {
    std::vector<std::string> out;
    for (auto& b : members[n].batches)
      for (auto& f : b->parts) out.push_back(*f);
    return out;
  };
  using v = std::vector<std::string>;
  CHECK(texts("ann") == v{"dan joined", "eve joined"});
  CHECK(texts("cat") == v{"ben joined", "eve joined"});
  CHECK(texts("dan") == v{"ben joined", "dan joined", "eve joined"});  // dan set no relation towards himself
  CHECK(texts("eve") == v{"ben joined", "dan joined", "eve joined"});
  // Those no line is hidden from share the very same batch; the lines are never copied.
  CHECK(members["ben"].batches.at(0).get() == members["eve"].batches.at(0).get());
  CHECK(members["ann"].batches.at(0)->parts.at(0).get() == lines[1].second.get());
  for (auto& [n, c] : members) CHECK(c.got.empty());
}

TEST_CASE("a batch whose every line is hidden from a member sends that member nothing") {
  relations rel;
  rel.apply({relation::mute, "ann", "ben", true});
  std::map<std::string, counting> members;
  members["ann"];
  members["ben"];
  barertc::actors::batch_lines lines{{"ben", barertc::protocol::shared_frame("a")}, {"ben", barertc::protocol::shared_frame("b")}};
  fan_out(lines, members, rel, [](const counting& c) { return &c; });
  CHECK(members["ann"].batches.empty());
  CHECK(members["ben"].batches.size() == 1);
}

TEST_CASE("a broadcast with no relations reaches every member") {
  relations rel;
  rel.apply({relation::mute, "x", "y", true});
  CHECK(deliver(rel, "ann", {"ann", "ben", "cat"}).size() == 3);
  CHECK(rel.skipped_for("ann").empty());
}

TEST_CASE("a user's relations go when they leave; those towards them stay") {
  relations rel;
  rel.apply({relation::mute, "ann", "ben", true});
  rel.apply({relation::boot, "ann", "cat", true});
  rel.apply({relation::mute, "ben", "ann", true});
  rel.forget("ann");
  CHECK_FALSE(rel.has(relation::mute, "ann", "ben"));
  CHECK_FALSE(rel.has(relation::boot, "ann", "cat"));
  CHECK(rel.setters(relation::boot, "cat").empty());
  CHECK(rel.has(relation::mute, "ben", "ann"));
  CHECK(rel.shapes_view_of("ann"));
  CHECK_FALSE(rel.shapes_view_of("cat"));
}

TEST_CASE("unmute and unblock_all undo, and nobody relates to themselves") {
  relations rel;
  CHECK_FALSE(rel.apply({relation::mute, "ann", "ann", true}));
  CHECK_FALSE(rel.apply({relation::mute, "ann", "", true}));
  rel.apply({relation::mute, "ann", "ben", true});
  CHECK(rel.apply({relation::mute, "ann", "ben", false}));
  CHECK_FALSE(rel.apply({relation::mute, "ann", "ben", false}));
  rel.apply({relation::block, "ann", "op", true});
  rel.apply({relation::block, "op", "cat", true});
  CHECK(rel.unblock_all("op").size() == 2);
  CHECK_FALSE(rel.blocked("ann", "op"));
  CHECK_FALSE(rel.blocked("cat", "op"));
  CHECK(rel.empty());
}
