#pragma once
/// The DM history database (server.md A.4 `[DirectMessageHistory]`, D.3): one SQLite table of
/// direct messages. Synchronous and single-threaded; it knows neither sockets nor chat rules
/// (storage/dm_history.* runs it on a thread of its own).
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace barertc::storage {

/// What SQLite refused, with its message.
struct db_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One stored direct message.
struct stored_dm {
  int64_t msg_id = 0;
  std::string from;     ///< The sender.
  std::string to;       ///< The recipient (not a column: it is in the channel ID).
  std::string message;  ///< The rendered HTML, as delivered.
  int64_t timestamp = 0;  ///< Unix seconds.
};

/// A page of one conversation, newest first, and how many older messages are left.
struct dm_page {
  std::vector<stored_dm> messages;
  int64_t remaining = 0;
};

/// How /api/message/usernames orders a user's partners.
enum class partner_order { newest, oldest, a_z, z_a };

/// One page of a user's partners, and the totals.
struct partners_page {
  std::vector<std::string> usernames;
  int64_t count = 0;
  int64_t pages = 0;
};

/// The conversation's channel ID: the two names sorted, `"@a:@b"` (the reference's format).
std::string channel_id(const std::string& a, const std::string& b);

/// The other party of a row (its channel ID and sender) when `user` is in it. Names may contain
/// ":@", so a channel ID alone can be read two ways; with its sender it cannot.
std::optional<std::string> partner_in(const std::string& channel, const std::string& sender, const std::string& user);

class dm_history_db {
 public:
  /// Opens (creating when missing) the database file and its table and indexes.
  explicit dm_history_db(const std::string& path);
  ~dm_history_db();
  dm_history_db(const dm_history_db&) = delete;
  dm_history_db& operator=(const dm_history_db&) = delete;

  void begin();
  void commit();
  void rollback();  ///< Never throws.

  void insert(const stored_dm& m);
  /// Deletes one message; false when it was not stored.
  bool erase(int64_t msg_id);
  /// The sender of a stored message.
  std::optional<std::string> sender_of(int64_t msg_id);
  /// Up to `size` messages between a and b with msgID below `before_id` (0: the newest), newest first.
  dm_page page(const std::string& a, const std::string& b, int64_t before_id, int size);
  /// Page `page` (from 1) of the names `user` has history with, `per_page` a page.
  partners_page partners(const std::string& user, partner_order order, int64_t page, int per_page);
  /// Deletes every message `user` sent or received; how many.
  int64_t clear(const std::string& user);
  /// Deletes messages older than `cutoff` (unix seconds); how many.
  int64_t purge_before(int64_t cutoff);
  /// The highest stored msgID, or 0.
  int64_t max_msg_id();

 private:
  /// A prepared statement, finalised when it goes out of scope.
  class statement;
  void exec(const char* sql);
  /// Each message `user` sent or received: its msgID and the other party.
  void rows_of(const std::string& user, const std::function<void(int64_t, const std::string&)>& each);
  [[noreturn]] void fail(const std::string& what);

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace barertc::storage
