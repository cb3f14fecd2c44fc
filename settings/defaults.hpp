#pragma once
/// Every tunable of the server in one place: its default and why. The settings.toml keys take
/// their defaults from here (settings.hpp); the rest are fixed here and used by actors/ and net/.
#include <cstdint>

namespace barertc::defaults {

// ---- [Server] keys (docs/configuration.md) -------------------------------------------------
inline constexpr int io_threads = 2;                    ///< The thread matrix measured 2 best on 2 cores.
inline constexpr int64_t max_message_bytes = 40 << 20;  ///< An 8 MiB photo as a JSON array of integers.
inline constexpr int max_text_length = 4000;            ///< A long paragraph; more is a paste bomb.
inline constexpr int max_username_length = 32;          ///< Fits the who list on a phone.
inline constexpr int send_queue_limit = 4096;           ///< Frames a join storm may queue per client.
inline constexpr int64_t send_queue_bytes = 8 << 20;    ///< Several who lists of a 10000-user room.
inline constexpr int send_timeout_seconds = 10;         ///< A write stuck this long means a dead peer.
inline constexpr int ping_interval = 30;                ///< BareRTC N pings every 30 s.
inline constexpr int login_timeout = 30;                ///< A page logs in within a second or two.
inline constexpr double rate_limit = 10;                ///< Messages/s: faster than anyone types.
inline constexpr int rate_burst = 20;                   ///< Room for a pasted burst of lines.
inline constexpr int idle_timeout = 60;                 ///< Twice the page's ping interval.
inline constexpr int64_t max_header_bytes = 16 << 10;   ///< Cookies and a JWT fit; more is abuse.
inline constexpr int64_t max_body_bytes = 1 << 20;      ///< A POSTed JWT form, with room to spare.
inline constexpr int who_list_delay_ms = 50;            ///< Coalesces the state changes of one click.
inline constexpr int max_blocklist = 1000;              ///< A website's blocklist; more is abuse.
inline constexpr bool compression = true;               ///< Browsers offer permessage-deflate; who lists shrink ~8x.
inline constexpr int64_t max_image_bytes = 8 << 20;     ///< The page's FileUploadMaxSize (8 MiB).
inline constexpr int64_t max_image_pixels = 50'000'000; ///< A 48 MP phone photo; more is a decompression bomb.
inline constexpr int image_workers = 1;                 ///< Decoders beside the chat: one keeps a core for chat on 2 cores.
inline constexpr int max_image_jobs = 16;               ///< Uploads in flight or waiting; more are refused as busy.
inline constexpr int max_image_jobs_per_user = 2;       ///< One user's share of them: nobody takes every worker.
inline constexpr int max_reaction_length = 16;          ///< Characters of one reaction: an emoji or a short sequence.
inline constexpr int poll_timeout = 60;                 ///< protocol.md B.8: a polling session silent 60 s has timed out.
inline constexpr int poll_queue_limit = 512;            ///< A 5 s poller in a busy room (or a join storm's presence lines) gets more than BareRTC N's 32.
inline constexpr double shutdown_timeout_seconds = 2.5; ///< Stop signal to exit: 1.5 s of close handshakes, 1 s for the actors.

// ---- [JWT] keys ---------------------------------------------------------------------------
inline constexpr int max_token_bytes = 8 << 10;         ///< A token with every claim is under 1 KiB; 8 KiB is abuse.

// ---- Messages (actors/user.cpp, actors/echo_buffer.hpp) ----------------------------------
inline constexpr int max_html_depth = 12;               ///< Nested elements kept in a message: deeper quotes and lists lose their tags, so 4 KB stays near 4 KB.
inline constexpr int owned_msg_ids = 10000;             ///< msgIDs a session remembers for takeback.
inline constexpr int64_t inline_decode_bytes = 256 << 10; ///< Bigger frames (photos) are parsed on a media worker.
inline constexpr int media_worker_nice = 10;            ///< Media workers yield the CPU to the chat threads.

// ---- Who-list timing (actors/who_timing.hpp explains the formula) ---------------------------
inline constexpr int64_t who_quiet_divisor = 16000;     ///< quiet = N^2/16000 ms: 62 ms at 1000 users.
inline constexpr int64_t who_quiet_max_ms = 1000;       ///< A change shows within a second.
inline constexpr int64_t who_max_wait_divisor = 800;    ///< max wait = N^2/800 ms: 5 s at 2000 users.
inline constexpr int64_t who_max_wait_max_ms = 120000;  ///< Even a 10000-user storm shows in 2 min.
inline constexpr int64_t who_min_gap_divisor = 4000;    ///< gap = N^2/4000 ms: 1 s at 2000 users.
inline constexpr int64_t who_min_gap_max_ms = 60000;    ///< Lists at least once a minute.

// ---- Presence batching (actors/directory.cpp) -------------------------------------------------
inline constexpr int64_t presence_users_per_ms = 20;    ///< Window = N/20 ms: 100 ms at 2000 users.
inline constexpr int64_t presence_window_min_ms = 10;   ///< A quiet room shows a line at once.
inline constexpr int64_t presence_window_max_ms = 1000;  ///< Lines lag 1 s at most (from 20000 users; 0.5 s at 10000).

// ---- Network (net/server.cpp) -------------------------------------------------------------
inline constexpr int64_t write_batch_frames = 128;      ///< Frames per gathered writev (IOV_MAX is 1024).
inline constexpr int deflate_min_bytes = 256;           ///< Smaller messages (presence, most chat lines) gain too little to compress.
inline constexpr int deflate_level = 6;                 ///< zlib's default: who lists shrink ~8x; once per broadcast, so speed matters less.
inline constexpr int64_t write_batch_bytes = 512 << 10; ///< Bytes per writev: a few socket buffers.
inline constexpr int64_t read_buffer_bytes = 64 << 10;  ///< One socket read; the kernel's default window.
inline constexpr size_t ws_stream_min_bytes = 64 << 10;  ///< Bigger data frames stream into their message, sized once (no regrowing, no second copy).
inline constexpr int reads_per_turn = 16;             ///< 1 MiB from one socket, then the lane's other connections get their turn.
inline constexpr int http_timeout_seconds = 30;         ///< Slowloris bound on reading a request.
inline constexpr int accept_backoff_ms = 100;           ///< Out of descriptors: retry accept after this.
inline constexpr double drain_share = 0.6;              ///< Of ShutdownTimeout: close frames going out (the rest: actors).
inline constexpr int health_timeout_ms = 1000;          ///< /healthz: chat actors slower than this count as down.
inline constexpr int static_max_age_seconds = 300;
inline constexpr int poll_hold_ms = 1000;               ///< A poll with nothing queued waits this long for news (a 5 s poller still hears fast).
inline constexpr int poll_settle_ms = 50;               ///< After news, this long for what follows it (a login's me, who, echo, welcome).
inline constexpr int poll_sweep_ms = 1000;              ///< How often silent polling sessions are looked for.      ///< Unhashed static files: revalidated after 5 min (ETag).

// ---- Process (main.cpp, actors/system.cpp) -------------------------------------------------
inline constexpr int heap_trim_seconds = 5;             ///< Idle memory goes back to the kernel.
inline constexpr int ask_timeout_seconds = 5;           ///< /api/statistics, /metrics ask the actors.
inline constexpr int shutdown_grace_ms = 2000;          ///< /shutdown, /api/shutdown: the reboot notice reaches everyone first.
inline constexpr int restart_exit_status = 75;          ///< /shutdown exits EX_TEMPFAIL, so Restart=on-failure restarts.

// ---- Cluster (net/redis_link.cpp, actors/cluster.cpp, docs/architecture.md) -------------------
inline constexpr int cluster_heartbeat_ms = 1000;       ///< A node says it is alive once a second.
inline constexpr int cluster_node_ttl_ms = 3000;        ///< Three missed beats: its users leave the who lists (within 5 s of kill -9).
inline constexpr int redis_connect_timeout_ms = 1000;   ///< Loopback or LAN Redis answers at once; longer means down.
inline constexpr int redis_backoff_min_ms = 100;        ///< First retry after a lost link: Redis restarts take ~100 ms.
inline constexpr int redis_backoff_max_ms = 5000;       ///< Retries double up to this: an outage costs a log line per 5 s at most.
inline constexpr int redis_ping_ms = 1000;              ///< The subscriber pings Redis this often ...
inline constexpr int redis_silence_ms = 3000;           ///< ... and counts it down after this long without an answer.
inline constexpr int64_t redis_queue_limit = 100000;    ///< Publishes waiting for the link; more are dropped (Redis too slow).
inline constexpr int msg_id_node_bits = 10;             ///< msgIDs carry a node slot in their low bits: 1024 nodes.

// ---- Webhooks (net/webhook_client.cpp, server.md E) ---------------------------------------
inline constexpr int webhook_timeout_seconds = 10;      ///< The reference waits 10 s for the website.
inline constexpr int webhook_in_flight = 4;             ///< Calls at once: a slow website ties up 4 threads, not the chat.
inline constexpr int webhook_queue = 256;               ///< Calls waiting; more are dropped and logged (a report storm).
inline constexpr int64_t webhook_reply_bytes = 64 << 10; ///< A profile card's reply; more is cut off and refused.
inline constexpr int report_context_lines = 30;         ///< Recent DM lines a report carries (server.md E).

// ---- DM history (storage/dm_history.*, server.md A.4 [DirectMessageHistory] and D.3) -----------
inline constexpr const char* dm_history_database = "database.sqlite"; ///< The reference's file name, in the working directory.
inline constexpr int dm_history_retention_days = 90;    ///< The reference's default: three months, then gone.
inline constexpr int dm_history_page = 20;              ///< Messages per /api/message/history page (server.md D.3).
inline constexpr int dm_partners_page = 9;              ///< Names per /api/message/usernames page (server.md D.3).
inline constexpr int dm_history_queue = 10000;          ///< Writes waiting for a slow disk; more are dropped and logged.
inline constexpr int dm_history_batch = 500;            ///< Writes per transaction: one sync of the disk for many DMs.
inline constexpr int dm_history_purge_seconds = 3600;   ///< RetentionDays purge: at start-up, then hourly.

}  // namespace barertc::defaults
