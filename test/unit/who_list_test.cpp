// Who lists per recipient (actors/who_list.hpp): what each sees, and how many frames are built.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <map>

#include "actors/who_list.hpp"

using namespace barertc::actors;
namespace video = barertc::protocol::video;

namespace {

struct room {
  std::map<std::string, listed> users;
  relations rel;
  bool secret = false;

  listed& add(const std::string& name, int cam = 0, bool vip = false, bool op = false) {
    auto& l = users[name];
    l.who.username = name;
    l.who.video = cam;
    l.who.vip = vip;
    l.who.op = op;
    l.encode(secret);
    return l;
  }
  std::vector<const listed*> roster() const {
    std::vector<const listed*> r;
    for (auto& [n, l] : users) r.push_back(&l);
    return r;
  }
  /// name -> (listed name -> video), plus the number of distinct frames.
  std::pair<std::map<std::string, std::map<std::string, int>>, size_t> lists() const {
    auto r = roster();
    auto audiences = build_who_lists(r, rel, secret);
    std::map<std::string, std::map<std::string, int>> seen;
    for (auto& a : audiences) {
      rapidjson::Document d;
      d.Parse(a.bytes->c_str());
      REQUIRE(!d.HasParseError());
      std::map<std::string, int> entries;
      for (auto& e : d["whoList"].GetArray())
        entries[e["username"].GetString()] = e["video"].GetInt() | (e.HasMember("vip") ? 1 << 20 : 0);
      for (auto i : a.recipients) seen[r[i]->who.username] = entries;
    }
    return {seen, audiences.size()};
  }
};

}  // namespace

TEST_CASE("without relations everyone shares one frame") {
  room w;
  w.add("ann", video::active);
  w.add("ben");
  w.add("cat", video::active | video::nsfw);
  auto [seen, frames] = w.lists();
  CHECK(frames == 1);
  CHECK(seen.size() == 3);
  CHECK(seen["ben"]["cat"] == (video::active | video::nsfw));
}

TEST_CASE("a mute or boot turns the camera off for that viewer only; an operator keeps it without MutualOpen") {
  room w;
  w.add("ann", video::active | video::mutual_open);
  w.add("ben");
  w.add("cat");
  w.add("opal", 0, false, true);
  w.add("dan");
  w.rel.apply({relation::mute, "ann", "ben", true});
  w.rel.apply({relation::boot, "ann", "cat", true});
  w.rel.apply({relation::boot, "ann", "opal", true});
  auto [seen, frames] = w.lists();
  CHECK(seen["ben"]["ann"] == 0);
  CHECK(seen["cat"]["ann"] == 0);
  CHECK(seen["opal"]["ann"] == video::active);
  CHECK(seen["dan"]["ann"] == (video::active | video::mutual_open));
  CHECK(seen["ann"]["ann"] == (video::active | video::mutual_open));  // never for one's own entry
  // ben and cat see the same list: one variant for both, plus the shared one and the operator's.
  CHECK(frames == 3);
}

TEST_CASE("a block hides the pair from each other; an invitation sets Invited") {
  room w;
  w.add("ann", video::active | video::vip_only, true);
  w.add("ben");
  w.add("cat");
  w.rel.apply({relation::block, "ben", "cat", true});
  w.rel.apply({relation::invite, "ann", "ben", true});
  auto [seen, frames] = w.lists();
  CHECK(seen["ben"].count("cat") == 0);
  CHECK(seen["cat"].count("ben") == 0);
  CHECK(seen["ann"].size() == 3);
  CHECK(seen["ben"]["ann"] == (video::active | video::vip_only | video::invited | 1 << 20));
  CHECK(seen["cat"]["ann"] == (0 | 1 << 20));  // VIP-only: off for a non-VIP who was not invited
  CHECK(frames == 3);
}

TEST_CASE("VIP-only cameras and, with MutuallySecret, the vip flag are for VIPs") {
  room w;
  w.secret = true;
  w.add("ann", video::active | video::vip_only, true);
  w.add("vera", 0, true);
  w.add("gus");
  auto [seen, frames] = w.lists();
  CHECK(seen["vera"]["ann"] == (video::active | video::vip_only | 1 << 20));
  CHECK(seen["gus"]["ann"] == 0);
  CHECK(seen["gus"]["vera"] == 0);
  CHECK(frames == 2);
}

TEST_CASE("hidden users receive lists but are not listed") {
  room w;
  w.add("ann");
  w.add("opal", 0, false, true).who.status = "hidden";
  auto [seen, frames] = w.lists();
  CHECK(seen.count("opal") == 1);
  CHECK(seen["ann"].count("opal") == 0);
  CHECK(seen["opal"].count("opal") == 0);
}

TEST_CASE("the first lists at login: one frame unless VIPs see something else, and what build_who_lists sends", "[who]") {
  room r;
  r.add("ann", video::active);
  r.add("ben", 0, true);
  auto roster = r.roster();
  auto plain = shared_who_lists(roster);
  CHECK(plain[0].get() == plain[1].get());  // built (and compressed) once
  CHECK(*plain[0] == *build_who_lists(roster, r.rel, false)[0].bytes);
  r.add("cat", video::active | video::vip_only, true);  // a VIP-only camera: VIPs see it on
  roster = r.roster();
  auto split = shared_who_lists(roster);
  CHECK(split[0].get() != split[1].get());
  CHECK(*split[0] != *split[1]);
  // A recipient with relations gets exactly their own list.
  r.rel.apply({relation::block, "ann", "ben", true});
  roster = r.roster();
  auto mine = who_list_for(roster, 0, r.rel, false);  // ann
  CHECK(mine->find("\"ben\"") == std::string::npos);
  CHECK(mine->find("\"cat\"") != std::string::npos);
}

TEST_CASE("in a cluster only this node's users are sent lists, which list everyone") {
  room r;
  r.add("alice");
  r.add("bob");
  r.add("carol");
  r.rel.apply({relation::block, "bob", "carol", true});
  auto roster = r.roster();
  std::vector<char> here{1, 0, 1};  // bob is on another node
  size_t recipients = 0;
  for (auto& a : build_who_lists(roster, r.rel, false, here))
    for (auto i : a.recipients) {
      CHECK(i != 1);
      ++recipients;
      if (i == 0) CHECK(a.bytes->find("\"bob\"") != std::string::npos);
      if (i == 2) CHECK(a.bytes->find("\"bob\"") == std::string::npos);  // the block hides him
    }
  CHECK(recipients == 2);
}
