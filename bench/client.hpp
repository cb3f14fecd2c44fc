#pragma once
/// Shared by the load generator (bench/loadgen.cpp) and the soak program (bench/soak.cpp): a chat
/// client on a raw socket that parses frames with the server's own ws_parser, and readings of the
/// server process from /proc. Single-threaded: every client runs on one io_context thread.
#include <boost/asio.hpp>
#include <boost/beast/core/error.hpp>
#include <dirent.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frame.hpp"

namespace barertc::bench {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

/// Monotonic time in nanoseconds (message send stamps).
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

/// The fields of a /proc stat file after the command name (v[0] is the state), or none.
inline std::vector<std::string> stat_fields(const std::string& path) {
  std::ifstream f(path);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  auto close = s.rfind(')');
  if (close == std::string::npos || close + 2 > s.size()) return {};
  std::istringstream in(s.substr(close + 2));
  std::string field;
  std::vector<std::string> v;
  while (in >> field) v.push_back(field);
  return v;
}

/// CPU seconds (user+system) of a process from /proc, or of ourselves when pid <= 0.
inline double cpu_seconds(int pid) {
  if (pid <= 0) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  auto v = stat_fields("/proc/" + std::to_string(pid) + "/stat");
  if (v.size() < 13) return 0;
  return (std::stod(v[11]) + std::stod(v[12])) / sysconf(_SC_CLK_TCK);  // utime, stime
}

/// The threads of a process with one name (comm), from /proc/PID/task: their CPU seconds
/// together, and the nice value of the busiest. Threads that have ended are not counted.
struct thread_group {
  double cpu = 0;
  int threads = 0;
  int busiest_nice = 0;
};
inline thread_group threads_named(int pid, std::string_view comm) {
  thread_group g;
  if (pid <= 0) return g;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return g;
  double busiest = -1;
  while (auto* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string task = dir + "/" + e->d_name;
    std::ifstream f(task + "/comm");
    std::string name;
    std::getline(f, name);
    if (name != comm) continue;
    auto v = stat_fields(task + "/stat");
    if (v.size() < 17) continue;
    double ticks = std::stod(v[11]) + std::stod(v[12]);  // utime, stime
    g.cpu += ticks;
    ++g.threads;
    if (ticks > busiest) busiest = ticks, g.busiest_nice = std::stoi(v[16]);
  }
  closedir(d);
  g.cpu /= sysconf(_SC_CLK_TCK);
  return g;
}

/// CPU seconds the whole machine has spent busy (all but idle and iowait, from /proc/stat).
inline double machine_busy_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) / sysconf(_SC_CLK_TCK);
}

/// Resident memory of a process in KiB (VmRSS), or 0.
inline long rss_kib(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

/// Open file descriptors of a process (entries of /proc/PID/fd), or -1 when unreadable.
inline int fd_count(int pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return -1;
  int n = 0;
  while (auto* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

/// Lifts our own soft open-file limit to the hard one (thousands of client sockets).
inline void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// Sits in front of ws_parser and takes large who lists out of the byte stream: their entries are
/// counted as the bytes arrive and never held whole (at N=10000 each list is ~1 MB, and every
/// client receives one at once). Every other frame goes on to the parser unchanged. Relies on the
/// server's frames being unmasked and unfragmented, which ours are.
class who_streamer {
 public:
  static constexpr size_t large = 64 * 1024;  ///< smaller frames are left to the parser

  /// Feeds bytes; `pass(data, n)` gets the bytes for the parser, `who(count)` each streamed list.
  template <class Pass, class Who>
  void feed(const char* p, size_t n, Pass&& pass, Who&& who) {
    while (n) {
      if (left_ == 0 && !streaming_) {
        // Between frames: gather the header and, for a large frame, the start of its payload.
        size_t take = std::min(n, want_ - head_.size());
        head_.append(p, take);
        p += take, n -= take;
        if (head_.size() < want_) continue;
        if (!decide()) continue;  // needs more bytes (want_ grew)
        if (!streaming_) {
          pass(head_.data(), head_.size());
          head_.clear();
          want_ = 2;
        }
        continue;
      }
      size_t take = std::min<uint64_t>(n, left_);
      if (streaming_) count(std::string_view(p, take));
      else pass(p, take);
      p += take, n -= take, left_ -= take;
      if (left_ == 0 && streaming_) {
        streaming_ = false;
        who(entries_);
      }
    }
  }

 private:
  static constexpr std::string_view prefix = R"({"action":"who")";
  static constexpr std::string_view key = "\"username\":";

  /// With the header (and maybe the payload's start) in head_: sets left_ and streaming_, or
  /// raises want_ and returns false.
  bool decide() {
    auto b = reinterpret_cast<const uint8_t*>(head_.data());
    size_t hl = 2;
    uint64_t len = b[1] & 0x7f;
    if (len == 126) hl = 4;
    if (len == 127) hl = 10;
    if (head_.size() < hl) return want_ = hl, false;
    if (len == 126) len = (uint64_t(b[2]) << 8) | b[3];
    if (len == 127) {
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | b[i];
    }
    bool text = (b[0] & 0x0f) == 0x1;
    bool compressed = b[0] & 0x40;  // RSV1 (permessage-deflate, first byte 0xC1): the parser inflates it
    if (!text || compressed || len < large) {
      left_ = len;
      if (left_ == 0) want_ = 2;  // an empty frame is complete with its header
      return true;
    }
    if (head_.size() < hl + prefix.size()) return want_ = hl + prefix.size(), false;
    std::string_view start(head_.data() + hl, prefix.size());
    left_ = len - prefix.size();
    if (start != prefix) return true;  // a large frame of another kind: the parser takes it
    streaming_ = true;
    entries_ = 0;
    carry_.clear();
    head_.clear();
    want_ = 2;
    return true;
  }

  /// Counts `"username":` in a chunk, including one split across chunks.
  void count(std::string_view chunk) {
    std::string joined = carry_;
    joined.append(chunk.substr(0, std::min(chunk.size(), key.size() - 1)));
    for (size_t at = joined.find(key); at != std::string::npos && at < carry_.size(); at = joined.find(key, at + 1))
      ++entries_;
    for (size_t at = chunk.find(key); at != std::string_view::npos; at = chunk.find(key, at + key.size())) ++entries_;
    std::string tail = carry_ + std::string(chunk.substr(chunk.size() - std::min(chunk.size(), key.size() - 1)));
    carry_ = tail.substr(tail.size() - std::min(tail.size(), key.size() - 1));
  }

  std::string head_;
  size_t want_ = 2;
  uint64_t left_ = 0;
  bool streaming_ = false;
  size_t entries_ = 0;
  std::string carry_;
};

/// What a compressed message (permessage-deflate) comes to, as a client needs it: a who list's
/// entry count (a who list is never kept whole), or the message's text. `ok` is false for a
/// message that does not inflate.
struct inflated {
  bool ok = false;
  bool who = false;
  size_t who_entries = 0;
  std::string text;
};
/// Inflates one compressed message (the caller may share results between clients: the server
/// compresses each broadcast once, so every recipient gets the same bytes).
using inflate_fn = std::shared_ptr<const inflated> (*)(std::string_view compressed);

/// Counts the entries (`"username":`) of a who list.
inline size_t who_entries(std::string_view m) {
  static constexpr std::string_view key = "\"username\":";
  size_t count = 0;
  for (size_t p = m.find(key); p != std::string_view::npos; p = m.find(key, p + key.size())) ++count;
  return count;
}

/// One chat client on a raw socket: the handshake by hand, frames parsed by the server's own
/// ws_parser (in its server-frames mode), several frames handled per read. Client frames use a
/// zero mask key, which leaves the payload as is (a load generator's shortcut; browsers use
/// random keys). Pings are answered, as a browser does.
struct client : std::enable_shared_from_this<client> {
  /// Why the connection ended (`ended`), for callers that tell expected ends from failures.
  enum class end_reason { none, connect, handshake, close_frame, protocol_error, eof, io_error, write, local };

  client(asio::io_context& ioc, int id, std::string name_prefix = "u")
      : sock(ioc), id(id), name(name_prefix + std::to_string(id)), parser(size_t(1) << 30, false) {}
  virtual ~client() = default;

  tcp::socket sock;
  int id;
  std::string name;
  barertc::net::ws_parser parser;
  who_streamer streamer;
  std::string handshake;  // response bytes until the blank line
  bool upgraded = false;
  bool count_who = true;  ///< Count the entries of each who list into who_size.
  bool quiet = false;     ///< Do not print connection failures (the caller counts them).
  /// Set before start: offer permessage-deflate, and inflate compressed messages with this.
  inflate_fn inflate = nullptr;
  bool deflate = false;  ///< The server accepted permessage-deflate.
  uint64_t compressed_in = 0;  ///< Compressed messages received.
  size_t who_size = 0;
  bool logged_in = false;
  bool reading = true;
  bool closed = false;
  end_reason ended = end_reason::none;
  int close_code = 0;
  uint64_t bytes_in = 0;
  std::deque<std::shared_ptr<const std::string>> outq;
  std::vector<asio::const_buffer> bufs;
  size_t inflight = 0;
  std::function<void(client&, std::string_view)> on_message;
  std::function<void(client&)> on_who;
  std::function<void(client&)> on_login;
  std::function<void(client&)> on_end;      ///< Once, when the connection ends for any reason.
  std::function<void(client&)> on_drained;  ///< After a write, when nothing more is queued.

  void start(const tcp::endpoint& ep, int rcvbuf = 0) {
    auto self = shared_from_this();
    beast::error_code ec;
    sock.open(ep.protocol(), ec);
    if (ec) return fail("socket", ec, end_reason::connect);
    if (rcvbuf) sock.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    sock.async_connect(ep, [self](beast::error_code ec) {
      if (ec) return self->fail("connect", ec, end_reason::connect);
      self->sock.set_option(tcp::no_delay(true));
      self->sock.non_blocking(true);
      // Delayed ACKs, as a client across a network gets them: over loopback Linux otherwise ACKs
      // every read at once, which costs both processes kernel time on every frame (measured: the
      // generator's CPU per delivery in the open-loop fan-out falls by about a third).
      int off = 0;
      ::setsockopt(self->sock.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
      self->queue(std::make_shared<const std::string>(
          std::string("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n") +
          (self->inflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n"));
      self->send(R"({"action":"login","username":")" + self->name + "\"}");
      self->read();
    });
  }

  /// Marks the connection ended (once) and tells on_end; the socket stays open until close_socket.
  void end(end_reason why, int code = 0) {
    if (closed) return;
    closed = true;
    ended = why;
    if (code) close_code = code;
    if (on_end) on_end(*this);
  }

  void fail(const char* what, beast::error_code ec, end_reason why) {
    if (!closed && !quiet) std::fprintf(stderr, "client %d: %s: %s\n", id, what, ec.message().c_str());
    end(why);
  }

  /// Closes the socket; with `reset` the kernel sends RST instead of FIN (a dropped connection).
  void close_socket(bool reset = false) {
    beast::error_code ec;
    if (!sock.is_open()) return;
    if (reset) sock.set_option(asio::socket_base::linger(true, 0), ec);
    sock.close(ec);
  }

  void read() {
    if (!reading || closed) return;
    sock.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("wait", ec, end_reason::io_error);
      self->on_readable();
    });
  }

  void on_readable() {
    static std::array<char, 65536> buf;  // one thread: shared by every client
    for (;;) {
      beast::error_code ec;
      size_t n = sock.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) return end(ec == asio::error::eof ? end_reason::eof : end_reason::io_error);
      bytes_in += n;
      std::string_view data(buf.data(), n);
      if (!upgraded) {
        handshake.append(data);
        auto end_of_head = handshake.find("\r\n\r\n");
        if (end_of_head == std::string::npos) continue;
        if (handshake.rfind("HTTP/1.1 101", 0) != 0) return end(end_reason::handshake);
        upgraded = true;
        if (inflate && handshake.substr(0, end_of_head).find("permessage-deflate") != std::string::npos) {
          deflate = true;
          parser.accept_deflate();
        }
        data = std::string_view(handshake).substr(end_of_head + 4);
      }
      streamer.feed(
          data.data(), data.size(),
          [this](const char* p, size_t len) {
            parser.feed(p, len, [this](barertc::net::ws_event&& ev) { on_event(std::move(ev)); });
          },
          [this](size_t entries) {
            if (count_who) who_size = entries;
            if (on_who) on_who(*this);
          });
      if (!handshake.empty() && upgraded) std::string().swap(handshake);
      if (closed || n < buf.size()) break;
    }
    read();
  }

  void on_event(barertc::net::ws_event&& ev) {
    using kind = barertc::net::ws_event::kind;
    if (ev.type == kind::close || ev.type == kind::error) {
      close_code = ev.code;
      return end(ev.type == kind::close ? end_reason::close_frame : end_reason::protocol_error, ev.code);
    }
    if (ev.type == kind::ping && !closed) return send_frame(barertc::net::opcode::pong, ev.payload);
    if (ev.type != kind::text) return;
    std::string_view m = ev.payload;
    std::shared_ptr<const inflated> plain;  // keeps the inflated text alive while it is handled
    if (ev.compressed) {
      ++compressed_in;
      if (!inflate || !(plain = inflate(m))->ok) return end(end_reason::protocol_error, 1007);
      if (plain->who) {
        if (count_who) who_size = plain->who_entries;
        if (on_who) on_who(*this);
        return;
      }
      m = plain->text;
    }
    if (m.compare(0, 15, R"({"action":"who")") == 0) {
      if (count_who) who_size = who_entries(m);
      if (on_who) on_who(*this);
      return;
    }
    if (!logged_in && m.find(R"("action":"me")") != std::string_view::npos) {
      logged_in = true;
      if (on_login) on_login(*this);
      return;
    }
    if (on_message) on_message(*this, m);
  }

  /// A masked client frame (zero mask key) with this opcode and payload.
  static std::string client_frame(uint8_t op, std::string_view payload) {
    std::array<uint8_t, 10> h{};
    auto n = barertc::net::frame_header(op, payload.size(), h);
    h[1] |= 0x80;  // masked, with the key 0,0,0,0
    std::string frame(reinterpret_cast<const char*>(h.data()), n);
    frame.append(4, '\0');
    frame += payload;
    return frame;
  }

  /// Queues a client frame with this opcode and payload.
  void send_frame(uint8_t op, std::string_view payload) {
    queue(std::make_shared<const std::string>(client_frame(op, payload)));
  }

  void send(const std::string& text) { send_frame(barertc::net::opcode::text, text); }

  void queue(std::shared_ptr<const std::string> bytes) {
    outq.push_back(std::move(bytes));
    if (!inflight) write();
  }

  void write() {
    if (closed || outq.empty()) return;
    bufs.clear();
    for (auto& f : outq) bufs.emplace_back(f->data(), f->size());
    inflight = outq.size();
    asio::async_write(sock, bufs, [self = shared_from_this()](beast::error_code ec, size_t) {
      for (size_t i = 0; i < self->inflight; ++i) self->outq.pop_front();
      self->inflight = 0;
      if (ec) return self->fail("write", ec, end_reason::write);
      if (self->outq.empty() && self->on_drained) return self->on_drained(*self);
      self->write();
    });
  }
};

}  // namespace barertc::bench
