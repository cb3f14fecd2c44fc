// The DM history database (storage/dm_history_db.*) and its thread (storage/dm_history.*), on a
// temporary file.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "storage/dm_history.hpp"

using namespace barertc::storage;

namespace {

/// A database file in a fresh temporary directory, removed afterwards.
struct temp_db {
  std::filesystem::path dir;
  std::string path;
  temp_db() {
    char tmpl[] = "/tmp/dm-history-test-XXXXXX";
    dir = mkdtemp(tmpl);
    path = (dir / "history.sqlite").string();
  }
  ~temp_db() { std::filesystem::remove_all(dir); }
};

stored_dm dm(int64_t id, std::string from, std::string to, std::string text, int64_t ts = 1000) {
  return stored_dm{id, std::move(from), std::move(to), std::move(text), ts};
}

std::vector<int64_t> ids(const dm_page& p) {
  std::vector<int64_t> out;
  for (auto& m : p.messages) out.push_back(m.msg_id);
  return out;
}

template <class T>
T wait(std::function<void(std::function<void(result<T>)>)> call) {
  std::promise<result<T>> p;
  call([&](result<T> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  REQUIRE(r.index() == 0);
  return std::get<0>(std::move(r));
}

}  // namespace

TEST_CASE("channel IDs sort the two names, and a row's sender tells the pair apart", "[dm_history]") {
  CHECK(channel_id("bob", "alice") == "@alice:@bob");
  CHECK(channel_id("alice", "bob") == "@alice:@bob");
  // "a" with "b:@c" and "a:@b" with "c" share "@a:@b:@c"; the sender decides which pair it is.
  CHECK(channel_id("a", "b:@c") == channel_id("a:@b", "c"));
  CHECK(partner_in("@a:@b:@c", "a", "a") == std::optional<std::string>("b:@c"));
  CHECK(partner_in("@a:@b:@c", "a", "b:@c") == std::optional<std::string>("a"));
  CHECK(partner_in("@a:@b:@c", "c", "a:@b") == std::optional<std::string>("c"));
  CHECK(partner_in("@a:@b:@c", "c", "a") == std::nullopt);
  CHECK(partner_in("@alice:@bob", "bob", "carol") == std::nullopt);
}

TEST_CASE("a conversation pages backwards, newest first, with what remains", "[dm_history]") {
  temp_db t;
  dm_history_db db(t.path);
  for (int i = 1; i <= 25; ++i) db.insert(dm(100 + i, i % 2 ? "alice" : "bob", i % 2 ? "bob" : "alice", "m" + std::to_string(i)));
  db.insert(dm(200, "alice", "carol", "other thread"));
  auto first = db.page("bob", "alice", 0, 20);
  REQUIRE(first.messages.size() == 20);
  CHECK(first.messages.front().msg_id == 125);
  CHECK(first.messages.front().message == "m25");
  CHECK(first.messages.front().from == "alice");
  CHECK(first.messages.back().msg_id == 106);
  CHECK(first.remaining == 5);
  auto second = db.page("alice", "bob", 106, 20);
  CHECK(ids(second) == std::vector<int64_t>{105, 104, 103, 102, 101});
  CHECK(second.remaining == 0);
  CHECK(db.page("alice", "bob", 101, 20).messages.empty());
  CHECK(db.page("alice", "nobody", 0, 20).messages.empty());
  CHECK(db.max_msg_id() == 200);
}

TEST_CASE("partners sort four ways and page by nine", "[dm_history]") {
  temp_db t;
  dm_history_db db(t.path);
  db.insert(dm(1, "alice", "bob", "x"));
  db.insert(dm(2, "carol", "alice", "x"));
  db.insert(dm(3, "alice", "dave", "x"));
  db.insert(dm(4, "bob", "alice", "x"));  // bob is now the newest partner
  db.insert(dm(5, "bob", "carol", "not alice's"));
  db.insert(dm(6, "a_%", "zed", "wildcards in a name match nothing else"));
  auto names = [&](partner_order o) { return db.partners("alice", o, 1, 9).usernames; };
  CHECK(names(partner_order::newest) == std::vector<std::string>{"bob", "dave", "carol"});
  CHECK(names(partner_order::oldest) == std::vector<std::string>{"carol", "dave", "bob"});
  CHECK(names(partner_order::a_z) == std::vector<std::string>{"bob", "carol", "dave"});
  CHECK(names(partner_order::z_a) == std::vector<std::string>{"dave", "carol", "bob"});
  auto p = db.partners("alice", partner_order::a_z, 2, 2);
  CHECK(p.usernames == std::vector<std::string>{"dave"});
  CHECK(p.count == 3);
  CHECK(p.pages == 2);
  CHECK(db.partners("alice", partner_order::a_z, 3, 2).usernames.empty());
  CHECK(db.partners("alice", partner_order::a_z, INT64_MAX, 9).usernames.empty());
  CHECK(db.partners("a_%", partner_order::a_z, 1, 9).usernames == std::vector<std::string>{"zed"});
}

TEST_CASE("clear, erase, owner and purge", "[dm_history]") {
  temp_db t;
  dm_history_db db(t.path);
  db.insert(dm(1, "alice", "bob", "old", 100));
  db.insert(dm(2, "bob", "alice", "new", 5000));
  db.insert(dm(3, "bob", "carol", "kept", 5000));
  CHECK(db.sender_of(2) == std::optional<std::string>("bob"));
  CHECK(db.sender_of(99) == std::nullopt);
  CHECK(db.purge_before(1000) == 1);
  CHECK(db.erase(3));
  CHECK_FALSE(db.erase(3));
  db.insert(dm(3, "bob", "carol", "kept", 5000));
  CHECK(db.clear("alice") == 1);
  CHECK(db.page("alice", "bob", 0, 20).messages.empty());
  CHECK(ids(db.page("bob", "carol", 0, 20)) == std::vector<int64_t>{3});
}

TEST_CASE("the database survives a reopen", "[dm_history]") {
  temp_db t;
  { dm_history_db(t.path).insert(dm(7, "alice", "bob", "<p>hi</p>")); }
  dm_history_db again(t.path);
  auto p = again.page("alice", "bob", 0, 20);
  REQUIRE(p.messages.size() == 1);
  CHECK(p.messages[0].message == "<p>hi</p>");
}

TEST_CASE("the history thread writes in batches and answers queries in order", "[dm_history]") {
  temp_db t;
  {
    dm_history h({t.path, 0, 100, 10, std::chrono::seconds(3600)});
    REQUIRE(h.available());
    for (int i = 1; i <= 30; ++i) h.store(dm(i, "alice", "bob", "m"));
    h.erase(30);
    auto page = wait<dm_page>([&](auto done) { h.page("alice", "bob", 0, 20, done); });
    CHECK(page.messages.front().msg_id == 29);
    CHECK(page.remaining == 9);
    auto owner = wait<std::optional<std::string>>([&](auto done) { h.sender_of(5, done); });
    CHECK(owner == std::optional<std::string>("alice"));
    CHECK(wait<int64_t>([&](auto done) { h.clear("bob", done); }) == 29);
  }
  CHECK(dm_history_db(t.path).max_msg_id() == 0);
}

TEST_CASE("a database that cannot open is reported, and nothing else fails", "[dm_history]") {
  temp_db t;
  {
    std::ofstream junk(t.path);
    junk << std::string(4096, 'x');  // not a SQLite file
  }
  CHECK_THROWS_AS(dm_history_db(t.path), db_error);
  dm_history h({t.path, 90, 100, 10, std::chrono::seconds(3600)});
  CHECK_FALSE(h.available());
  h.store(dm(1, "alice", "bob", "dropped"));
  std::promise<result<dm_page>> p;
  h.page("alice", "bob", 0, 20, [&](result<dm_page> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r).find("not available") != std::string::npos);
}

TEST_CASE("the start-up purge removes what is older than RetentionDays", "[dm_history]") {
  temp_db t;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  {
    dm_history_db db(t.path);
    db.insert(dm(1, "alice", "bob", "ancient", now - 100 * 86400));
    db.insert(dm(2, "alice", "bob", "recent", now - 86400));
  }
  { dm_history h({t.path, 90, 100, 10, std::chrono::seconds(3600)}); }
  CHECK(ids(dm_history_db(t.path).page("alice", "bob", 0, 20)) == std::vector<int64_t>{2});
}
