// BareRTC load generator: drives many WebSocket clients against a server on loopback and prints
// one JSON line per scenario plus a human summary. Scenarios: join, fanout (closed loop),
// fanout-open (offered rate), dm (ping-pong pairs), idle (memory), slow (a client that never reads),
// uploads (lobby latency while photos are being shared and processed).
// Every chat message carries its send time, so latency is measured per delivery. With
// `--relations 1`, join and fanout run with per-recipient rules in place (mutes and boots, see
// `relations` below), and the closed-loop fan-out checks every delivery against them. With
// `--deflate`, clients offer permessage-deflate and inflate what comes compressed (scenario names
// get "+deflate"); every report has the bytes the clients read off their sockets.
#include "bench/client.hpp"
#include "net/deflate.hpp"

#include <jpeglib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <utility>

using namespace barertc::bench;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 9000;
  std::vector<unsigned short> ports;  // --ports a,b,c: user i connects to ports[i % n] (a cluster's nodes)
  std::string scenario = "fanout";
  int users = 1000;
  int senders = 10;
  double rate = 0;         // fanout-open: messages per second (all senders together)
  double duration = 10;    // seconds of measurement
  int pairs = 50;
  int concurrency = 50;    // join: connections in flight
  int server_pid = 0;
  double timeout = 600;    // the whole run stops by itself after this many seconds
  bool relations = false;  // join, fanout: users mute and boot others (issue 11)
  double muters = 0.10;    // share of users who mute others
  int mutes_each = 10;     // how many others each of them mutes
  double booters = 0.01;   // share of users who boot someone
  uint32_t seed = 11;      // the relations are the same in every run with the same seed and N
  // uploads: lobby messages at `rate` from `senders` users, first with no uploads, then while
  // `uploaders` users each keep one photo upload in flight.
  int uploaders = 10;
  int image_width = 4000;                // the generated photo (12 MP, as a phone takes)
  int image_height = 3000;
  int image_noise = 40;                  // grain on every pixel, +- this much per channel
  int64_t image_bytes = 7 << 20;         // encoded at the highest quality (95 down) that fits
  bool image_base64 = false;             // bytes as a base64 string instead of the browser's int array
  std::string upload_channel = "offtopic";
  double warmup = 2;                     // seconds before each measured phase
  double upload_mbps = 0;                // pace each upload at this many Mbit/s (0: as fast as loopback takes it)
  double trace_ms = 0;                   // print photo events and lobby messages later than this (stderr)
  bool deflate = false;                  // clients offer permessage-deflate (RFC 7692)
};

/// Inflation figures of a run with --deflate: messages inflated, inflated bytes, and the
/// compressed messages a client took from the memo instead.
uint64_t g_inflates = 0, g_inflated_bytes = 0, g_memo_hits = 0;

/// Inflates a compressed message, remembering the last few results: the server compresses each
/// broadcast once, so all recipients get byte-identical payloads, and at N=10000 inflating each
/// ~1 MB who list once per client would cost the generator more than the server's whole run. A
/// who list is remembered as its entry count only. Keyed by the payload's hash and size (a
/// collision would count a wrong list; the join's check that every list shows everyone would
/// then not finish, not pass falsely, unless the counts happened to agree).
std::shared_ptr<const inflated> memo_inflate(std::string_view compressed) {
  using key = std::pair<size_t, size_t>;
  static constexpr size_t keep = 64;
  thread_local std::map<key, std::shared_ptr<const inflated>> memo;
  thread_local std::deque<key> order;  // oldest first
  key k{std::hash<std::string_view>{}(compressed), compressed.size()};
  if (auto it = memo.find(k); it != memo.end()) {
    ++g_memo_hits;
    return it->second;
  }
  auto r = std::make_shared<inflated>();
  std::string out;
  r->ok = barertc::net::inflate_message(compressed, size_t(1) << 30, out) == barertc::net::inflate_status::ok;
  ++g_inflates;
  g_inflated_bytes += out.size();
  if (r->ok && std::string_view(out).substr(0, 15) == R"({"action":"who")") {
    r->who = true;
    r->who_entries = who_entries(out);
  } else {
    r->text = std::move(out);
  }
  memo.emplace(k, r);
  order.push_back(k);
  if (order.size() > keep) {
    memo.erase(order.front());
    order.pop_front();
  }
  return r;
}

/// Who mutes and boots whom: fixed by the seed, so runs compare like with like. A share of the
/// users (`muters`) each mute `mutes_each` distinct others; a smaller share (`booters`) each boot
/// one. So that the fan-out really goes through the filter, half of the fan-out's senders are
/// among the muters, and one of every muter's targets is a sender (people mute those who post):
/// with 10 senders, each sender is muted by about a tenth of the muters, and some senders do not
/// receive each other's messages. The other targets, and the other muters and booters, are drawn
/// at random from everyone.
struct relations {
  std::vector<std::vector<int>> mutes;  ///< mutes[i]: the ids user i mutes (sorted)
  std::vector<std::vector<int>> boots;  ///< boots[i]: the ids user i boots
  std::vector<std::vector<int>> muted_by;
  size_t muters = 0, mute_count = 0, boot_count = 0;

  relations() = default;
  relations(int n, int senders, const options& o) : mutes(n), boots(n), muted_by(n) {
    if (n < 2) return;
    std::mt19937 rng(o.seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    senders = std::clamp(senders, 0, n);
    int want = std::clamp(static_cast<int>(o.muters * n + 0.5), 0, n);
    int each = std::clamp(o.mutes_each, 0, n - 1);
    // Muters: half the senders, then others at random.
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin() + senders, order.end(), rng);
    std::vector<int> who;
    for (int i = 0; i < senders / 2 && static_cast<int>(who.size()) < want; ++i) who.push_back(i);
    for (int i = senders; i < n && static_cast<int>(who.size()) < want; ++i) who.push_back(order[i]);
    for (int m : who) {
      std::set<int> t;
      if (senders > 1 || (senders == 1 && m != 0)) {
        int s;
        do s = pick(0, senders - 1);
        while (s == m);
        t.insert(s);
      }
      while (static_cast<int>(t.size()) < each) {
        int x = pick(0, n - 1);
        if (x != m) t.insert(x);
      }
      mutes[m].assign(t.begin(), t.end());
      for (int x : t) muted_by[x].push_back(m);
      mute_count += t.size();
    }
    muters = who.size();
    int bn = std::clamp(static_cast<int>(o.booters * n + 0.5), 0, n);
    for (int k = 0; k < bn; ++k) {
      int b = pick(0, n - 1), x;
      do x = pick(0, n - 1);
      while (x == b);
      boots[b].push_back(x);
      ++boot_count;
    }
  }

  bool muted(int recipient, int sender) const {
    auto& v = mutes[recipient];
    return std::binary_search(v.begin(), v.end(), sender);
  }

  /// What a user sends once logged in, as the web client does after its first `me` (boots, then
  /// mutes, one frame each).
  std::vector<std::string> frames(int id) const {
    std::vector<std::string> out;
    for (int x : boots[id]) out.push_back(R"({"action":"boot","username":"u)" + std::to_string(x) + "\"}");
    for (int x : mutes[id]) out.push_back(R"({"action":"mute","username":"u)" + std::to_string(x) + "\"}");
    return out;
  }
};

/// Parses `"<p>L <ns> <sender> <seq>` out of a message frame; false if it is not a bench message.
bool parse_bench(std::string_view m, int64_t& sent_ns, int& sender) {
  auto p = m.find("\"message\":\"<p>L ");
  if (p == std::string_view::npos) return false;
  p += 16;
  sent_ns = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sent_ns = sent_ns * 10 + (m[p++] - '0');
  ++p;
  sender = 0;
  while (p < m.size() && m[p] >= '0' && m[p] <= '9') sender = sender * 10 + (m[p++] - '0');
  return true;
}

/// Extra characters appended to each bench message (the slow scenario uses bigger messages so a
/// reader that stops fills its queue sooner).
size_t g_pad = 0;

std::string bench_message(const std::string& channel, int sender, uint64_t seq) {
  return R"({"action":"message","channel":")" + channel + R"(","message":"L )" + std::to_string(now_ns()) + " " +
         std::to_string(sender) + " " + std::to_string(seq) + (g_pad ? " " + std::string(g_pad, 'x') : "") + "\"}";
}

/// A photo-sized JPEG made up here: smooth colour gradients with grain on every pixel (as a phone
/// camera's sensor noise), so it neither compresses to nothing nor scales down to pure noise.
/// Encoded with libjpeg at the highest quality from 95 down (in steps of 5, to 50) that fits in
/// max_bytes; `quality` tells which.
std::string make_photo(int w, int h, int noise, size_t max_bytes, int& quality) {
  std::vector<unsigned char> rgb(static_cast<size_t>(w) * h * 3);
  std::vector<double> col(static_cast<size_t>(w) * 3), row(static_cast<size_t>(h) * 3);
  for (int i = 0; i < w; ++i) {
    double u = double(i) / w;
    col[i * 3] = 60 * std::sin(6.3 * u);
    col[i * 3 + 1] = 50 * std::cos(4.1 * u + 1);
    col[i * 3 + 2] = 40 * std::sin(9 * u + 2);
  }
  for (int j = 0; j < h; ++j) {
    double v = double(j) / h;
    row[j * 3] = 50 * std::cos(5 * v);
    row[j * 3 + 1] = 60 * std::sin(3.3 * v + 2);
    row[j * 3 + 2] = 45 * std::cos(7 * v + 1);
  }
  uint32_t x = 2463534242u;  // xorshift32: the same picture in every run
  auto rnd = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  auto* px = rgb.data();
  for (int j = 0; j < h; ++j)
    for (int i = 0; i < w; ++i)
      for (int c = 0; c < 3; ++c) {
        int grain = noise ? static_cast<int>(rnd() % (2 * noise + 1)) - noise : 0;
        int smooth = static_cast<int>(128 + col[i * 3 + c] + row[j * 3 + c]);
        *px++ = static_cast<unsigned char>(std::clamp(smooth + grain, 0, 255));
      }
  std::string out;
  for (quality = 95; quality >= 50; quality -= 5) {
    jpeg_compress_struct cinfo{};
    jpeg_error_mgr err{};
    cinfo.err = jpeg_std_error(&err);  // a libjpeg error here ends the program, with its message
    jpeg_create_compress(&cinfo);
    unsigned char* mem = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &mem, &size);
    cinfo.image_width = static_cast<JDIMENSION>(w);
    cinfo.image_height = static_cast<JDIMENSION>(h);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
      JSAMPROW r = &rgb[static_cast<size_t>(cinfo.next_scanline) * w * 3];
      jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    out.assign(reinterpret_cast<const char*>(mem), size);
    std::free(mem);
    jpeg_destroy_compress(&cinfo);
    if (out.size() <= max_bytes) break;
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&in](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t n = byte(i) << 16;
    out += {t[n >> 18], t[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], '='};
  }
  return out;
}

/// A `file` action carrying `jpeg`: its bytes as a JSON array of integers 0-255, as the browser
/// sends them (`[255,216,...]`), or as a base64 string.
std::string file_message(const std::string& channel, std::string_view jpeg, bool as_base64) {
  std::string s = R"({"action":"file","channel":")" + channel + R"(","message":"photo.jpg","bytes":)";
  if (as_base64) {
    s += '"' + base64(jpeg) + '"';
  } else {
    s.reserve(s.size() + jpeg.size() * 4 + 2);
    s += '[';
    char num[4];
    for (size_t i = 0; i < jpeg.size(); ++i) {
      if (i) s += ',';
      auto r = std::to_chars(num, num + sizeof num, static_cast<unsigned>(static_cast<uint8_t>(jpeg[i])));
      s.append(num, r.ptr);
    }
    s += ']';
  }
  s += '}';
  return s;
}

struct latencies {
  std::vector<uint32_t> us;
  void add(int64_t ns) { us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, ns / 1000))); }
  double pct(double q) {
    if (us.empty()) return 0;
    auto k = static_cast<size_t>(q * (us.size() - 1));
    std::nth_element(us.begin(), us.begin() + k, us.end());
    return us[k] / 1000.0;
  }
  double max() { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()) / 1000.0; }
};

class runner {
 public:
  explicit runner(options o) : o_(std::move(o)), ep_(asio::ip::make_address(o_.host), o_.port) {
    if (o_.relations) rel_ = relations(o_.users, o_.senders, o_);
  }

  int run() {
    auto deadline = std::make_shared<asio::steady_timer>(ioc_);
    deadline->expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.timeout)));
    deadline->async_wait([this](beast::error_code ec) {
      if (!ec) {
        std::fprintf(stderr, "loadgen: timed out after %.0f s\n", o_.timeout);
        timed_out_ = true;
        ioc_.stop();
      }
    });
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
    rss0_ = rss_kib(o_.server_pid);
    if (o_.relations && o_.scenario != "join" && o_.scenario != "fanout") {
      std::fprintf(stderr, "loadgen: --relations is for the join and fanout scenarios\n");
      return 2;
    }
    if (o_.scenario == "join") join(o_.users, [this] { finish_join(); });
    else if (o_.scenario == "fanout")
      // The who lists the relations set off (and the storm's last ones) are let through first.
      join(o_.users, [this] { after_settle([this] { after_who_quiet([this] { start_fanout(); }); }); });
    else if (o_.scenario == "fanout-open" || o_.scenario == "slow")
      join(o_.users, [this] { after_settle([this] { start_fanout(); }); });
    else if (o_.scenario == "dm") join(o_.users, [this] { after_settle([this] { start_dm(); }); });
    else if (o_.scenario == "uploads") {
      if (!prepare_uploads()) return 2;
      join(o_.users, [this] { after_settle([this] { start_uploads(); }); });
    }
    else if (o_.scenario == "idle") join(o_.users, [this] {
        // Idle memory is read once the room has been idle for 10 s: the server returns free heap
        // pages every 5 s, and a room is idle for much longer than that in practice.
        after_settle([this] { finish_idle(); }, std::chrono::seconds(10));
      });
    else {
      std::fprintf(stderr, "loadgen: unknown scenario %s\n", o_.scenario.c_str());
      return 2;
    }
    ioc_.run();
    return timed_out_ || failed_ ? 1 : 0;
  }

 private:
  /// Connects n users, o_.concurrency at a time, and calls done when all are logged in and every
  /// who list shows everyone.
  void join(int n, std::function<void()> done) {
    join_start_ = steady::now();
    join_done_ = std::move(done);
    target_ = n;
    for (int i = 0; i < std::min(n, o_.concurrency); ++i) connect_next();
  }

  void connect_next() {
    if (next_id_ >= target_) return;
    auto c = std::make_shared<client>(ioc_, next_id_++);
    if (o_.deflate) c->inflate = memo_inflate;
    c->on_login = [this](client& cl) {
      // Relations go out right after the first `me`, as the web client sends them.
      if (o_.relations)
        for (auto& f : rel_.frames(cl.id)) cl.send(f);
      if (++logged_in_ == target_) login_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
      connect_next();
      check_joined();
    };
    c->on_who = [this](client& cl) {
      last_who_ = steady::now();
      ++who_lists_;
      if (cl.who_size == static_cast<size_t>(target_)) check_joined();
    };
    c->on_message = [this](client&, std::string_view m) { count_notice(m); };
    clients_.push_back(c);
    c->start(endpoint_for(c->id));
  }

  void check_joined() {
    if (joined_ || logged_in_ < target_) return;
    for (auto& c : clients_)
      if (c->who_size != static_cast<size_t>(target_)) return;
    joined_ = true;
    join_seconds_ = std::chrono::duration<double>(steady::now() - join_start_).count();
    asio::post(ioc_, join_done_);
  }

  void after_settle(std::function<void()> next, std::chrono::milliseconds wait = std::chrono::milliseconds(500)) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, wait);
    t->async_wait([t, next](beast::error_code) { next(); });
  }

  /// Calls next once no who list has arrived for `quiet` (at most `max` from now).
  void after_who_quiet(std::function<void()> next, std::chrono::milliseconds quiet = std::chrono::milliseconds(1000),
                       std::chrono::seconds max = std::chrono::seconds(20)) {
    auto until = steady::now() + max;
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, t, poll, next, quiet, until] {
      auto now = steady::now();
      if (now - last_who_ >= quiet || now >= until) {
        auto go = next;
        *poll = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return go();
      }
      t->expires_after(std::chrono::milliseconds(50));
      t->async_wait([poll](beast::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  }

  /// Counts replies that say the server does not know an action (a server without mute/boot).
  void count_notice(std::string_view m) {
    if (m.find("Unsupported message type") != std::string_view::npos) ++unsupported_;
  }

  /// The scenario's name in the report, and the relation figures it reports.
  std::string name(const std::string& base) const {
    return base + (o_.relations ? "+relations" : "") + (o_.deflate ? "+deflate" : "");
  }
  void add_relation_fields(std::vector<std::pair<std::string, double>>& f) const {
    if (!o_.relations) return;
    f.push_back({"muters", double(rel_.muters)});
    f.push_back({"mutes", double(rel_.mute_count)});
    f.push_back({"boots", double(rel_.boot_count)});
    f.push_back({"unsupported_replies", double(unsupported_)});
  }

  /// Bytes every client read from its socket (handshakes included), and with --deflate how many
  /// clients negotiated it and what was inflated.
  uint64_t bytes_in() const {
    uint64_t bytes = 0;
    for (auto& c : clients_) bytes += c->bytes_in;
    return bytes;
  }
  void add_wire_fields(std::vector<std::pair<std::string, double>>& f) const {
    if (o_.scenario != "join") f.push_back({"bytes_received", double(bytes_in())});
    if (!o_.deflate) return;
    uint64_t negotiated = 0, compressed = 0;
    for (auto& c : clients_) negotiated += c->deflate, compressed += c->compressed_in;
    f.push_back({"deflate_clients", double(negotiated)});
    f.push_back({"compressed_messages", double(compressed)});
    f.push_back({"inflates", double(g_inflates)});
    f.push_back({"inflate_memo_hits", double(g_memo_hits)});
    f.push_back({"inflated_bytes", double(g_inflated_bytes)});
  }

  void finish_join() {
    uint64_t bytes = 0;
    for (auto& c : clients_) bytes += c->bytes_in;
    std::vector<std::pair<std::string, double>> f{{"users", double(o_.users)},
                                                  {"seconds", join_seconds_},
                                                  {"all_logged_in_s", login_seconds_},
                                                  {"bytes_received", double(bytes)},
                                                  {"who_lists_received", double(who_lists_)}};
    add_relation_fields(f);
    add_wire_fields(f);
    if (!o_.relations) {
      report(name("join"), f);
      return ioc_.stop();
    }
    // Were the relations in place? Not timed: after the storm, some muted users post one message
    // each, and every delivery is checked against the mutes. The probes are the 10 muted users
    // who joined first and the 10 who joined last (muted, mostly, before they were online).
    freeze_cpu();
    std::vector<int> muted;
    for (int i = 0; i < o_.users; ++i)
      if (!rel_.muted_by[i].empty()) muted.push_back(i);
    std::vector<int> probes;
    for (size_t k = 0; k < muted.size(); ++k)
      if (k < 10 || k + 10 >= muted.size()) probes.push_back(muted[k]);
    track(probes);
    for (auto& c : clients_)
      c->on_message = [this](client& cl, std::string_view m) { count_delivery(cl, m); };
    after_who_quiet([this, probes, f]() mutable {
      for (int id : probes) send_from(*clients_[id]);
      await_deliveries([this, f]() mutable {
        add_check_fields(f);
        report(name("join"), f);
        ioc_.stop();
      });
    });
  }

  /// Counts deliveries per (recipient, sender) for the senders in `ids` (the fan-out's senders, or
  /// the join storm's probes), to compare with what the mutes let through.
  void track(const std::vector<int>& ids) {
    tracked_ = ids;
    index_.assign(o_.users + 1, -1);
    for (size_t k = 0; k < ids.size(); ++k) index_[ids[k]] = static_cast<int>(k);
    sent_by_.assign(ids.size(), 0);
    got_.assign(static_cast<size_t>(o_.users) * ids.size(), 0);
  }

  /// Returns the sender of a bench message delivered to `cl` (or -1), and counts it.
  int count_delivery(client& cl, std::string_view m, int64_t* sent_ns = nullptr) {
    int64_t sent;
    int sender;
    if (!parse_bench(m, sent, sender)) {
      count_notice(m);
      return -1;
    }
    if (sent_ns) *sent_ns = sent;
    if (sender >= 0 && sender < static_cast<int>(index_.size()) && index_[sender] >= 0 && cl.id < o_.users) {
      ++got_[static_cast<size_t>(cl.id) * tracked_.size() + index_[sender]];
      ++delivered_;
    }
    return sender;
  }

  /// Deliveries the tracked messages should make: every user gets each, except those who muted
  /// its sender.
  uint64_t expected_deliveries() const {
    uint64_t e = 0;
    for (size_t k = 0; k < tracked_.size(); ++k) {
      size_t muters = o_.relations ? rel_.muted_by[tracked_[k]].size() : 0;
      e += sent_by_[k] * (o_.users - muters);
    }
    return e;
  }

  /// Waits until the tracked messages have all been delivered, or until deliveries stop coming
  /// for 3 s (then the check reports what is missing), then calls done.
  void await_deliveries(std::function<void()> done) {
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto poll = std::make_shared<std::function<void()>>();
    auto last = std::make_shared<std::pair<uint64_t, steady::time_point>>(delivered_, steady::now());
    *poll = [this, t, poll, last, done] {
      auto now = steady::now();
      if (delivered_ != last->first) *last = {delivered_, now};
      if (delivered_ >= expected_deliveries() || now - last->second >= std::chrono::seconds(3)) {
        // A little longer when complete, so that a delivery the mutes should have stopped shows.
        auto extra = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(200));
        extra->async_wait([extra, done](beast::error_code) { done(); });
        *poll = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return;
      }
      t->expires_after(std::chrono::milliseconds(20));
      t->async_wait([poll](beast::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  }

  /// The delivery check: each (recipient, sender) pair must have received every message of that
  /// sender, or none if the recipient muted the sender. Fails the run otherwise.
  void add_check_fields(std::vector<std::pair<std::string, double>>& f) {
    uint64_t sent = 0, unfiltered = 0, explained = 0, mismatched = 0, filtered_pairs = 0;
    for (size_t k = 0; k < tracked_.size(); ++k) {
      int s = tracked_[k];
      sent += sent_by_[k];
      unfiltered += sent_by_[k] * o_.users;
      if (o_.relations) explained += sent_by_[k] * rel_.muted_by[s].size();
      for (int r = 0; r < o_.users; ++r) {
        bool muted = o_.relations && rel_.muted(r, s);
        filtered_pairs += muted;
        uint64_t want = muted ? 0 : sent_by_[k];
        if (got_[static_cast<size_t>(r) * tracked_.size() + k] != want) {
          if (mismatched < 5)
            std::fprintf(stderr, "loadgen: u%d got %u messages from u%d, expected %llu%s\n", r,
                         got_[static_cast<size_t>(r) * tracked_.size() + k], s,
                         static_cast<unsigned long long>(want), muted ? " (muted)" : "");
          ++mismatched;
        }
      }
    }
    uint64_t missing = unfiltered >= delivered_ ? unfiltered - delivered_ : 0;
    f.push_back({"checked_messages", double(sent)});
    f.push_back({"checked_deliveries", double(delivered_)});
    f.push_back({"deliveries_if_unfiltered", double(unfiltered)});
    f.push_back({"missing", double(missing)});
    f.push_back({"explained_by_mutes", double(explained)});
    f.push_back({"filtered_pairs", double(filtered_pairs)});
    f.push_back({"pairs_wrong", double(mismatched)});
    if (mismatched || missing != explained || delivered_ > unfiltered) {
      std::fprintf(stderr, "loadgen: %s: delivery check failed: %llu pairs wrong, %llu missing, %llu explained by mutes\n",
                   name(o_.scenario).c_str(), static_cast<unsigned long long>(mismatched),
                   static_cast<unsigned long long>(missing), static_cast<unsigned long long>(explained));
      failed_ = true;
    }
  }

  void finish_idle() {
    long rss = rss_kib(o_.server_pid);
    report("idle", {{"users", double(o_.users)},
                    {"server_rss_kib_before", double(rss0_)},
                    {"server_rss_kib", double(rss)},
                    {"kib_per_user", o_.users ? double(rss - rss0_) / o_.users : 0}});
    ioc_.stop();
  }

  void start_fanout() {
    bool open = o_.scenario == "fanout-open";
    if (o_.scenario == "slow") add_slow_client();
    bool check = o_.scenario == "fanout";  // closed loop: every delivery is checked afterwards
    if (check) {
      std::vector<int> ids;
      for (int i = 0; i < o_.senders && i < o_.users; ++i) ids.push_back(i);
      track(ids);
    }
    for (auto& c : clients_) {
      c->on_message = [this](client& cl, std::string_view m) {
        int64_t sent;
        int sender = count_delivery(cl, m, &sent);
        if (sender < 0) return;
        if (measuring_) {
          ++deliveries_;
          lat_.add(now_ns() - sent);
        }
        if (!open_loop_ && sender == cl.id && cl.id < o_.senders && running_) send_from(cl);
      };
    }
    open_loop_ = open;
    running_ = true;
    begin_measure();
    if (open) {
      tick_ = std::make_shared<asio::steady_timer>(ioc_);
      open_start_ = steady::now();
      tick();
    } else {
      for (int i = 0; i < o_.senders && i < static_cast<int>(clients_.size()); ++i) send_from(*clients_[i]);
    }
    end_after(o_.duration, check, [this, open, check] {
      double secs = measured_seconds();
      std::vector<std::pair<std::string, double>> f{{"users", double(o_.users)},
                                                    {"senders", double(o_.senders)},
                                                    {"deliveries_per_s", deliveries_ / secs},
                                                    {"messages_per_s", double(sent_) / secs}};
      if (open) f.push_back({"offered_deliveries_per_s", o_.rate * o_.users});
      if (slow_) {
        f.push_back({"slow_client_dropped", slow_->closed ? 1.0 : 0.0});
        f.push_back({"slow_client_close_code", double(slow_->close_code)});
      }
      f.push_back({"bytes_received_measured", double(measured_bytes_)});
      f.push_back({"bytes_per_delivery", deliveries_ > 0 ? measured_bytes_ / deliveries_ : 0});
      add_relation_fields(f);
      add_wire_fields(f);
      if (check) add_check_fields(f);
      report(name(o_.scenario), f, true);
    });
  }

  void add_slow_client() {
    // A client with a tiny receive buffer that stops reading once logged in.
    auto c = std::make_shared<client>(ioc_, 1000000);
    c->on_login = [](client& cl) { cl.reading = false; };
    slow_ = c;
    c->start(ep_, 4096);
  }

  void send_from(client& c) {
    ++sent_;
    if (open_ >= 0) ++win_[open_].sent;
    if (c.id < static_cast<int>(index_.size()) && index_[c.id] >= 0) ++sent_by_[index_[c.id]];
    c.send(bench_message("lobby", c.id, sent_));
  }

  void tick() {
    // Open loop: keep the offered rate whatever the latency.
    double elapsed = std::chrono::duration<double>(steady::now() - open_start_).count();
    auto due = static_cast<uint64_t>(elapsed * o_.rate);
    while (sent_ < due) send_from(*clients_[sent_ % std::max(1, o_.senders)]);
    if (!running_) return;
    tick_->expires_after(std::chrono::microseconds(500));
    tick_->async_wait([this](beast::error_code ec) {
      if (!ec) tick();
    });
  }

  void start_dm() {
    int pairs = std::min(o_.pairs, o_.users / 2);
    for (int i = 0; i < 2 * pairs; ++i) {
      auto& c = *clients_[i];
      bool initiator = i % 2 == 0;
      std::string partner = clients_[initiator ? i + 1 : i - 1]->name;
      c.on_message = [this, initiator, partner](client& cl, std::string_view m) {
        int64_t sent;
        int sender;
        if (!parse_bench(m, sent, sender)) return;
        if (m.find("\"username\":\"" + cl.name + "\"") != std::string_view::npos) return;  // own copy
        if (initiator) {
          if (measuring_) {
            ++deliveries_;
            lat_.add(now_ns() - sent);
          }
          if (running_) {
            ++sent_;
            cl.send(bench_message("@" + partner, cl.id, sent_));
          }
        } else {
          // Echo the same send time back: the initiator measures the round trip.
          cl.send(R"({"action":"message","channel":"@)" + partner + R"(","message":"L )" + std::to_string(sent) +
                  " " + std::to_string(cl.id) + " 0\"}");
        }
      };
    }
    running_ = true;
    begin_measure();
    for (int i = 0; i < 2 * pairs; i += 2) {
      ++sent_;
      clients_[i]->send(bench_message("@" + clients_[i + 1]->name, i, sent_));
    }
    end_after(o_.duration, false, [this, pairs] {
      double secs = measured_seconds();
      report("dm", {{"users", double(o_.users)}, {"pairs", double(pairs)}, {"round_trips_per_s", deliveries_ / secs}},
             true);
    });
  }

  // The uploads scenario. Lobby messages go out at o_.rate (open loop, as fanout-open) from the
  // first `senders` users throughout; the next `uploaders` users are the uploaders. Two measured
  // windows of o_.duration each: 0 with no uploads, 1 while every uploader keeps one `file` in
  // flight (it sends the next as soon as its image comes back to it, or a while after a busy
  // refusal). A lobby message counts in the window it was sent in, and the report waits for all
  // of its deliveries, so a slow tail is not cut off at the window's end. The run fails only if
  // the scenario cannot complete: a lobby delivery lost, a client dropped, an upload refused other
  // than as busy, or an uploader that never has an image back; never on speed. Window 1 opens once
  // every uploader has had an image back (the first round goes out all at once; after it the
  // uploads are spread out as they will stay), and not before o_.warmup.

  struct window {
    int64_t from = INT64_MAX, to = INT64_MAX;  ///< send stamps (ns) that belong here
    steady::time_point t0, t1;
    uint64_t sent = 0, delivered = 0, images = 0;
    latencies lat;
    double server0 = 0, server1 = 0, self0 = 0, self1 = 0, media0 = 0, media1 = 0, io0 = 0, io1 = 0;
    double machine0 = 0, machine1 = 0;
    double seconds() const { return std::chrono::duration<double>(t1 - t0).count(); }
  };

  bool prepare_uploads() {
    if (o_.rate <= 0) o_.rate = 20;
    if (o_.senders < 1 || o_.uploaders < 0 || o_.users < o_.senders + o_.uploaders) {
      std::fprintf(stderr, "loadgen: uploads needs --users >= --senders (>= 1) + --uploaders\n");
      return false;
    }
    auto t0 = steady::now();
    photo_ = make_photo(o_.image_width, o_.image_height, o_.image_noise, static_cast<size_t>(o_.image_bytes),
                        photo_quality_);
    auto frame = std::make_shared<const std::string>(client::client_frame(
        barertc::net::opcode::text, file_message(o_.upload_channel, photo_, o_.image_base64)));
    upload_frame_ = frame;
    if (o_.upload_mbps > 0)
      for (size_t at = 0; at < frame->size(); at += upload_chunk)
        upload_chunks_.push_back(std::make_shared<const std::string>(frame->substr(at, upload_chunk)));
    std::fprintf(stderr, "# uploads: photo %dx%d, quality %d, %zu bytes; file frame %zu bytes (%s); made in %.1f s\n",
                 o_.image_width, o_.image_height, photo_quality_, photo_.size(), frame->size(),
                 o_.image_base64 ? "base64" : "int array", std::chrono::duration<double>(steady::now() - t0).count());
    return true;
  }

  bool is_uploader(const client& c) const { return c.id >= o_.senders && c.id < o_.senders + o_.uploaders; }

  /// Calls next once pred() holds (polled every 20 ms), or after `max` seconds at the latest.
  void when(std::function<bool()> pred, double max, std::function<void()> next) {
    auto until = steady::now() + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(max));
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [t, poll, pred, next, until] {
      if (pred() || steady::now() >= until) {
        auto go = next;
        *poll = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return go();
      }
      t->expires_after(std::chrono::milliseconds(20));
      t->async_wait([poll](beast::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  }

  void after_seconds(double seconds, std::function<void()> next) {
    after_settle(std::move(next), std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  }

  /// The server's media workers: CAF names the thread of each detached actor "caf.actor", and the
  /// media workers are the server's only detached actors (CAF may keep one more, idle).
  thread_group media_threads() const { return threads_named(o_.server_pid, "caf.actor"); }
  /// The server's network threads: the main thread and the I/O threads keep the program's name.
  double io_cpu() const { return threads_named(o_.server_pid, "barertc").cpu; }

  void open_window(int k) {
    auto& w = win_[k];
    w.server0 = cpu_seconds(o_.server_pid), w.self0 = cpu_seconds(0), w.media0 = media_threads().cpu;
    w.io0 = io_cpu(), w.machine0 = machine_busy_seconds();
    w.t0 = steady::now();
    w.from = now_ns();
    open_ = k;
  }

  void close_window(int k) {
    auto& w = win_[k];
    w.to = now_ns();
    w.t1 = steady::now();
    auto media = media_threads();
    w.server1 = cpu_seconds(o_.server_pid), w.self1 = cpu_seconds(0), w.media1 = media.cpu;
    w.io1 = io_cpu(), w.machine1 = machine_busy_seconds();
    media_nice_ = media.busiest_nice;
    open_ = -1;
  }

  void start_uploads() {
    for (auto& c : clients_) {
      c->on_message = [this](client& cl, std::string_view m) { on_uploads_message(cl, m); };
      c->on_end = [this](client& cl) {
        if (stopping_) return;
        if (++dropped_ <= 3)
          std::fprintf(stderr, "loadgen: uploads: u%d was disconnected (close code %d)\n", cl.id, cl.close_code);
        failed_ = true;
      };
    }
    upload_sent_.assign(static_cast<size_t>(o_.uploaders), 0);
    uploads_back_.assign(static_cast<size_t>(o_.uploaders), 0);
    running_ = true;
    tick_ = std::make_shared<asio::steady_timer>(ioc_);
    open_start_ = steady::now();
    tick();
    after_seconds(o_.warmup, [this] {
      begin_measure();
      open_window(0);
      after_seconds(o_.duration, [this] {
        close_window(0);
        // A moment for the idle window's deliveries, then the uploads begin.
        after_seconds(0.5, [this] {
          uploading_ = true;
          uploads_start_ = steady::now();
          for (int i = 0; i < o_.uploaders; ++i) upload_from(*clients_[o_.senders + i]);
          auto all_back = [this] {
            return std::all_of(uploads_back_.begin(), uploads_back_.end(), [](uint64_t n) { return n > 0; });
          };
          when(all_back, std::max(o_.timeout / 2, o_.warmup), [this] {
            double waited = std::chrono::duration<double>(steady::now() - uploads_start_).count();
            after_seconds(std::max(0.0, o_.warmup - waited), [this] {
              open_window(1);
              after_seconds(o_.duration, [this] {
                close_window(1);
                freeze_cpu();
                running_ = false;
                uploading_ = false;
                await_windows([this] { finish_uploads(); });
              });
            });
          });
        });
      });
    });
  }

  void upload_from(client& c) {
    if (!uploading_ || c.closed) return;
    int k = c.id - o_.senders;
    upload_sent_[k] = now_ns();
    ++uploads_sent_;
    if (o_.trace_ms > 0) std::fprintf(stderr, "trace %.3f u%d sends a photo\n", now_ns() / 1e9, c.id);
    if (upload_chunks_.empty()) return c.queue(upload_frame_);
    // Paced: one chunk at a time, each when the rate allows (as over a real uplink).
    auto start = steady::now();
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    auto self = c.shared_from_this();
    auto step = std::make_shared<std::function<void(size_t)>>();
    *step = [this, t, self, step, start](size_t i) {
      if (i >= upload_chunks_.size() || self->closed) {
        *step = nullptr;  // breaks the cycle (and destroys this lambda: nothing of it is used after)
        return;
      }
      self->queue(upload_chunks_[i]);
      double at = double((i + 1) * upload_chunk) * 8 / (o_.upload_mbps * 1e6);
      t->expires_at(start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(at)));
      t->async_wait([step, i](beast::error_code) {
        if (*step) (*step)(i + 1);
      });
    };
    (*step)(0);
  }

  void on_uploads_message(client& cl, std::string_view m) {
    auto head = m.substr(0, 256);
    if (head.find(R"("message":"<img)") != std::string_view::npos) {
      ++image_deliveries_;
      image_message_bytes_ = m.size();
      auto u = head.find(R"("username":")");
      if (u == std::string_view::npos || !is_uploader(cl)) return;
      auto name = head.substr(u + 12);
      name = name.substr(0, name.find('"'));
      if (name != cl.name) return;  // another uploader's image
      int k = cl.id - o_.senders;
      ++uploads_back_[k];
      if (o_.trace_ms > 0) std::fprintf(stderr, "trace %.3f u%d has its image back\n", now_ns() / 1e9, cl.id);
      ++images_back_;
      if (open_ == 1) {
        ++win_[1].images;
        upload_rtt_.add(now_ns() - upload_sent_[k]);
      }
      return upload_from(cl);
    }
    int64_t sent;
    int sender;
    if (parse_bench(m, sent, sender)) {
      for (auto& w : win_)
        if (sent >= w.from && sent <= w.to) {
          ++w.delivered;
          w.lat.add(now_ns() - sent);
          trace_slow(cl, sent, sender);
        }
      return;
    }
    if (!is_uploader(cl) || head.find(R"("action":"error")") == std::string_view::npos) return;
    if (m.find("busy with other images") != std::string_view::npos ||
        m.find("still being processed") != std::string_view::npos) {
      // Refused as busy (the server's, or this user's share): the upload is not in flight; try
      // again shortly, as a person would.
      ++busy_;
      auto self = cl.shared_from_this();
      auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(200));
      t->async_wait([this, t, self](beast::error_code) { upload_from(*self); });
      return;
    }
    // Any other refusal (type, size, channel, a failed decode) means the scenario is set up
    // wrong or the server is broken: the uploader stops and the run fails.
    if (++upload_errors_ <= 3)
      std::fprintf(stderr, "loadgen: uploads: u%d: %.*s\n", cl.id, static_cast<int>(std::min<size_t>(m.size(), 300)),
                   m.data());
    failed_ = true;
  }

  /// With --trace-ms: a lobby message that reached someone later than that, once per message
  /// (at its first late delivery), beside the photos sent and back, to see what a stall follows.
  void trace_slow(const client& cl, int64_t sent, int sender) {
    if (o_.trace_ms <= 0 || sent == last_slow_ || now_ns() - sent < static_cast<int64_t>(o_.trace_ms * 1e6)) return;
    last_slow_ = sent;
    std::fprintf(stderr, "trace %.3f lobby message from u%d reached u%d after %.0f ms\n", sent / 1e9, sender, cl.id,
                 (now_ns() - sent) / 1e6);
  }

  /// Waits until every lobby message of both windows has reached every user, or until
  /// deliveries stop coming for 15 s (the report then shows what is missing).
  void await_windows(std::function<void()> done) {
    auto total = [this] { return win_[0].delivered + win_[1].delivered; };
    auto last = std::make_shared<std::pair<uint64_t, steady::time_point>>(total(), steady::now());
    auto complete = [this, total, last] {
      auto now = steady::now();
      if (total() != last->first) *last = {total(), now};
      uint64_t want = (win_[0].sent + win_[1].sent) * static_cast<uint64_t>(o_.users);
      return total() >= want || now - last->second >= std::chrono::seconds(15);
    };
    when(complete, o_.timeout, std::move(done));
  }

  /// What the rest of the machine used (neither the server nor we) during a window, in cores.
  static double other_cores(const window& w) {
    double others = (w.machine1 - w.machine0) - (w.server1 - w.server0) - (w.self1 - w.self0);
    return std::max(0.0, others) / w.seconds();
  }

  void finish_uploads() {
    auto& idle = win_[0];
    auto& load = win_[1];
    double s0 = idle.seconds(), s1 = load.seconds();
    uint64_t missing = 0;
    for (auto& w : win_) missing += w.sent * static_cast<uint64_t>(o_.users) - std::min(w.delivered, w.sent * o_.users);
    double idle_p99 = idle.lat.pct(0.99), load_p99 = load.lat.pct(0.99);
    std::vector<std::pair<std::string, double>> f{
        {"users", double(o_.users)},
        {"senders", double(o_.senders)},
        {"messages_per_s", o_.rate},
        {"uploaders", double(o_.uploaders)},
        {"upload_mbps", o_.upload_mbps},
        {"photo_bytes", double(photo_.size())},
        {"photo_quality", double(photo_quality_)},
        {"file_frame_bytes", double(upload_frame_->size())},
        {"image_message_bytes", double(image_message_bytes_)},
        {"idle_p50_ms", idle.lat.pct(0.5)},
        {"idle_p99_ms", idle_p99},
        {"idle_max_ms", idle.lat.max()},
        {"idle_samples", double(idle.lat.us.size())},
        {"uploads_p50_ms", load.lat.pct(0.5)},
        {"uploads_p99_ms", load_p99},
        {"uploads_max_ms", load.lat.max()},
        {"uploads_samples", double(load.lat.us.size())},
        {"p99_ratio", idle_p99 > 0 ? load_p99 / idle_p99 : 0},
        {"images_per_s", s1 > 0 ? load.images / s1 : 0},
        {"upload_p50_s", upload_rtt_.pct(0.5) / 1000},
        {"upload_max_s", upload_rtt_.max() / 1000},
        {"images_back", double(images_back_)},
        {"image_deliveries", double(image_deliveries_)},
        {"busy_refusals", double(busy_)},
        {"upload_errors", double(upload_errors_)},
        {"missing_deliveries", double(missing)},
        {"dropped_clients", double(dropped_)},
        {"server_cores_idle", s0 > 0 ? (idle.server1 - idle.server0) / s0 : 0},
        {"server_cores_uploads", s1 > 0 ? (load.server1 - load.server0) / s1 : 0},
        {"media_cores_uploads", s1 > 0 ? (load.media1 - load.media0) / s1 : 0},
        {"media_nice", double(media_nice_)},
        {"io_cores_idle", s0 > 0 ? (idle.io1 - idle.io0) / s0 : 0},
        {"io_cores_uploads", s1 > 0 ? (load.io1 - load.io0) / s1 : 0},
        {"loadgen_cores_idle", s0 > 0 ? (idle.self1 - idle.self0) / s0 : 0},
        {"loadgen_cores_uploads", s1 > 0 ? (load.self1 - load.self0) / s1 : 0},
        {"other_cores_idle", s0 > 0 ? other_cores(idle) : 0},
        {"other_cores_uploads", s1 > 0 ? other_cores(load) : 0},
    };
    if (missing) {
      std::fprintf(stderr, "loadgen: uploads: %llu lobby deliveries never arrived\n",
                   static_cast<unsigned long long>(missing));
      failed_ = true;
    }
    // Speed is never a failure: an image back in the measured window is not required, only one
    // for every uploader by the end.
    if (auto none = std::count(uploads_back_.begin(), uploads_back_.end(), 0)) {
      std::fprintf(stderr, "loadgen: uploads: %d uploaders never had an image back\n", static_cast<int>(none));
      failed_ = true;
    }
    stopping_ = true;
    report("uploads", f);
    ioc_.stop();
  }

  void begin_measure() {
    measured_bytes_ = bytes_in();
    measuring_ = true;
    measure_start_ = steady::now();
    cpu0_server_ = cpu_seconds(o_.server_pid);
    cpu0_self_ = cpu_seconds(0);
  }
  double measured_seconds() { return std::chrono::duration<double>(measure_end_ - measure_start_).count(); }

  /// Ends the measurement after `seconds`; with `await`, waits for every tracked message's
  /// deliveries (not timed) before calling done.
  void end_after(double seconds, bool await, std::function<void()> done) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::duration_cast<steady::duration>(
                                                            std::chrono::duration<double>(seconds)));
    t->async_wait([this, t, await, done](beast::error_code) {
      measuring_ = false;
      running_ = false;
      measure_end_ = steady::now();
      measured_bytes_ = bytes_in() - measured_bytes_;
      if (await) {
        freeze_cpu();
        return await_deliveries([this, done] {
          done();
          ioc_.stop();
        });
      }
      // Give in-flight messages (and the slow client's close) a moment, then report.
      auto grace = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(300));
      grace->async_wait([this, grace, done](beast::error_code) {
        if (slow_) {
          slow_->reading = true;
          slow_->read();
        }
        auto more = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(slow_ ? 1500 : 0));
        more->async_wait([this, more, done](beast::error_code) {
          done();
          ioc_.stop();
        });
      });
    });
  }

  /// The CPU figures of the report are read now (what follows is a check, not the measurement).
  void freeze_cpu() {
    cpu1_server_ = cpu_seconds(o_.server_pid);
    cpu1_self_ = cpu_seconds(0);
    cpu_frozen_ = true;
  }

  void report(const std::string& scenario, std::vector<std::pair<std::string, double>> fields, bool latency = false) {
    double server_cpu = (cpu_frozen_ ? cpu1_server_ : cpu_seconds(o_.server_pid)) - cpu0_server_;
    double self_cpu = (cpu_frozen_ ? cpu1_self_ : cpu_seconds(0)) - cpu0_self_;
    std::ostringstream js;
    js << R"({"scenario":")" << scenario << '"';
    for (auto& [k, v] : fields) js << ",\"" << k << "\":" << v;
    if (latency) {
      js << ",\"p50_ms\":" << lat_.pct(0.5) << ",\"p90_ms\":" << lat_.pct(0.9) << ",\"p99_ms\":" << lat_.pct(0.99)
         << ",\"max_ms\":" << lat_.max() << ",\"samples\":" << lat_.us.size();
    }
    if (o_.server_pid) js << ",\"server_cpu_s\":" << server_cpu << ",\"server_rss_kib\":" << rss_kib(o_.server_pid);
    js << ",\"loadgen_cpu_s\":" << self_cpu << "}";
    std::cout << js.str() << "\n";
    std::cout << "# " << scenario << ":";
    for (auto& [k, v] : fields) std::cout << " " << k << "=" << v;
    if (latency)
      std::cout << " latency p50=" << lat_.pct(0.5) << "ms p99=" << lat_.pct(0.99) << "ms max=" << lat_.max() << "ms";
    std::cout << " | cpu: server " << server_cpu << "s, loadgen " << self_cpu << "s\n";
    std::cout.flush();
  }

  /// The node user `id` signs in on: users spread round robin over --ports (else the one --port).
  tcp::endpoint endpoint_for(int id) const {
    if (o_.ports.empty()) return ep_;
    return {ep_.address(), o_.ports[static_cast<size_t>(id) % o_.ports.size()]};
  }

  options o_;
  asio::io_context ioc_;
  tcp::endpoint ep_;
  std::vector<std::shared_ptr<client>> clients_;
  std::shared_ptr<client> slow_;
  int next_id_ = 0, target_ = 0, logged_in_ = 0;
  bool joined_ = false, timed_out_ = false, running_ = false, measuring_ = false, open_loop_ = false;
  steady::time_point join_start_, measure_start_, measure_end_, open_start_;
  double join_seconds_ = 0, login_seconds_ = 0;
  std::function<void()> join_done_;
  std::shared_ptr<asio::steady_timer> tick_;
  uint64_t sent_ = 0;
  double deliveries_ = 0;
  latencies lat_;
  double cpu0_server_ = 0, cpu0_self_ = 0, cpu1_server_ = 0, cpu1_self_ = 0;
  bool cpu_frozen_ = false, failed_ = false;
  long rss0_ = 0;
  relations rel_;
  steady::time_point last_who_{};
  uint64_t who_lists_ = 0, unsupported_ = 0;
  // The delivery check: tracked senders, their index by id, messages each sent, and deliveries
  // per (recipient, tracked sender).
  std::vector<int> tracked_, index_;
  std::vector<uint64_t> sent_by_;
  std::vector<uint32_t> got_;
  uint64_t delivered_ = 0;
  // The uploads scenario.
  std::string photo_;
  int photo_quality_ = 0;
  std::shared_ptr<const std::string> upload_frame_;
  static constexpr size_t upload_chunk = 64 * 1024;                  ///< paced uploads go out in pieces this big
  std::vector<std::shared_ptr<const std::string>> upload_chunks_;  ///< the frame in pieces, when paced
  window win_[2];
  int open_ = -1;  ///< the window lobby messages are counted in now, or -1
  bool uploading_ = false, stopping_ = false;
  steady::time_point uploads_start_;
  std::vector<int64_t> upload_sent_;    ///< per uploader: when its upload in flight was sent
  std::vector<uint64_t> uploads_back_;  ///< per uploader: images it has had back
  latencies upload_rtt_;                ///< upload sent to image back, in window 1
  uint64_t uploads_sent_ = 0, images_back_ = 0, image_deliveries_ = 0, busy_ = 0, upload_errors_ = 0, dropped_ = 0;
  size_t image_message_bytes_ = 0;
  int media_nice_ = 0;
  int64_t last_slow_ = 0;
  uint64_t measured_bytes_ = 0;  ///< bytes_in at the start of the measurement, then bytes during it
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--deflate" && (i + 1 == argc || std::string_view(argv[i + 1]).rfind("--", 0) == 0)) {
      o.deflate = true;  // a flag; "--deflate 0|1" works too
      --i;
      continue;
    }
    if (i + 1 == argc) {
      std::fprintf(stderr, "loadgen: %s needs a value\n", k.c_str());
      return 2;
    }
    std::string v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--ports") {
      for (size_t at = 0; at <= v.size();) {
        auto comma = std::min(v.find(',', at), v.size());
        o.ports.push_back(static_cast<unsigned short>(std::stoi(v.substr(at, comma - at))));
        at = comma + 1;
      }
    }
    else if (k == "--scenario") o.scenario = v;
    else if (k == "--users") o.users = std::stoi(v);
    else if (k == "--senders") o.senders = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--pairs") o.pairs = std::stoi(v);
    else if (k == "--concurrency") o.concurrency = std::stoi(v);
    else if (k == "--server-pid") o.server_pid = std::stoi(v);
    else if (k == "--timeout") o.timeout = std::stod(v);
    else if (k == "--pad") g_pad = std::stoul(v);
    else if (k == "--relations") o.relations = v != "0";
    else if (k == "--muters") o.muters = std::stod(v);
    else if (k == "--mutes-each") o.mutes_each = std::stoi(v);
    else if (k == "--booters") o.booters = std::stod(v);
    else if (k == "--seed") o.seed = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--uploaders") o.uploaders = std::stoi(v);
    else if (k == "--image-width") o.image_width = std::stoi(v);
    else if (k == "--image-height") o.image_height = std::stoi(v);
    else if (k == "--image-noise") o.image_noise = std::stoi(v);
    else if (k == "--image-bytes") o.image_bytes = std::stoll(v);
    else if (k == "--image-encoding" && (v == "array" || v == "base64")) o.image_base64 = v == "base64";
    else if (k == "--upload-channel") o.upload_channel = v;
    else if (k == "--warmup") o.warmup = std::stod(v);
    else if (k == "--upload-mbps") o.upload_mbps = std::stod(v);
    else if (k == "--trace-ms") o.trace_ms = std::stod(v);
    else if (k == "--deflate") o.deflate = v != "0";
    else {
      std::fprintf(stderr, "loadgen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto addr = asio::ip::make_address(o.host);
  if (o.scenario == "slow" && g_pad == 0) g_pad = 3900;
  if (!addr.is_loopback()) {
    std::fprintf(stderr, "loadgen: only loopback addresses are allowed (got %s)\n", o.host.c_str());
    return 2;
  }
  raise_fd_limit();
  return runner(o).run();
}
