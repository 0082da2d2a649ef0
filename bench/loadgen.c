/* bench-loadgen: a small WebSocket load generator for Alger-compatible servers.
 *
 * One thread, epoll (edge-triggered), non-blocking sockets, no libsoup and
 * no GLib, so that it costs clearly less CPU than the server it measures.
 * It speaks the client side of RFC 6455: the upgrade request (random
 * Sec-WebSocket-Key, checked Sec-WebSocket-Accept, subprotocol "alger",
 * credentials in the query string), masked client frames, and parsing of
 * server frames (text/binary, continuation, ping -> pong, close).
 *
 * Modes
 *   rtt        N connections in a closed loop: send one request, wait for one
 *              reply frame, send the next.  Requests follow Alger's
 *              sequencing (id = id of the last server frame + 1), so the same
 *              run works against algerd and against bench-echo-server.
 *   handshake  C connections that each connect, upgrade, wait for the 101,
 *              send a close frame, close the socket and reconnect at once.
 *              Only complete upgrades (101 + "alger" selected + valid accept
 *              key) are counted.
 *   idle       open C connections, complete the upgrades, print "READY n",
 *              then hold them (answering pings) for --hold seconds or until
 *              SIGINT/SIGTERM.
 *
 * Output: progress/diagnostics on stderr, then one line on stdout:
 *   RESULT mode=rtt conns=32 rps=.. p50_us=.. p99_us=.. p999_us=.. errors=0 ..
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- options */

enum mode { MODE_RTT, MODE_HANDSHAKE, MODE_IDLE, MODE_RUN };

static struct {
  enum mode mode;
  const char *host;
  const char *port;
  const char *path;
  const char *query;
  const char *protocol;
  const char *user_id;
  const char *content_file;
  int conns;
  double duration;
  double warmup;
  double hold;
  double timeout;
  int windows;
  int verbose;
} opt = {
  .mode = MODE_RTT,
  .host = "127.0.0.1",
  .port = "8765",
  .path = "/",
  .query = "username=admin&password=admin",
  .protocol = "alger",
  .user_id = "admin",
  .conns = -1,
  .duration = 10.0,
  .warmup = 2.0,
  .hold = 0.0,
  .timeout = 60.0,
  .verbose = 0,
};

static const char *const mode_names[] = { "rtt", "handshake", "idle", "run" };

/* run mode: the 104 content (a JSON object), escaped as a JSON string */
static char *run_content;
static unsigned long long n_rejected;

/* ------------------------------------------------------------------ utils */

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static uint64_t rng_state;

static uint64_t
rng_next (void)
{
  /* xorshift64* */
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void note (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("bench-loadgen: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  exit (2);
}

static void
note (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("bench-loadgen: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* ------------------------------------------------------------------- SHA-1 */
/* Just enough SHA-1 to verify Sec-WebSocket-Accept (inputs < 120 bytes). */

static uint32_t
rol32 (uint32_t x, int n)
{
  return (x << n) | (x >> (32 - n));
}

static void
sha1_block (uint32_t h[5], const unsigned char *p)
{
  uint32_t w[80];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
           (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
  for (int i = 16; i < 80; i++)
    w[i] = rol32 (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; i++)
    {
      uint32_t f, k;
      if (i < 20)
        f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40)
        f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60)
        f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else
        f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol32 (a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol32 (b, 30);
      b = a;
      a = t;
    }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void
sha1 (const void *data, size_t len, unsigned char out[20])
{
  uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
  const unsigned char *p = data;
  size_t left = len;
  unsigned char tail[128];

  while (left >= 64)
    {
      sha1_block (h, p);
      p += 64;
      left -= 64;
    }
  memset (tail, 0, sizeof tail);
  memcpy (tail, p, left);
  tail[left] = 0x80;
  size_t tl = left + 9 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t) len * 8;
  for (int i = 0; i < 8; i++)
    tail[tl - 1 - i] = (unsigned char) (bits >> (8 * i));
  sha1_block (h, tail);
  if (tl == 128)
    sha1_block (h, tail + 64);
  for (int i = 0; i < 5; i++)
    {
      out[4 * i] = (unsigned char) (h[i] >> 24);
      out[4 * i + 1] = (unsigned char) (h[i] >> 16);
      out[4 * i + 2] = (unsigned char) (h[i] >> 8);
      out[4 * i + 3] = (unsigned char) h[i];
    }
}

static void
base64 (const unsigned char *in, size_t len, char *out)
{
  static const char tbl[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3)
    {
      uint32_t v = (uint32_t) in[i] << 16;
      if (i + 1 < len)
        v |= (uint32_t) in[i + 1] << 8;
      if (i + 2 < len)
        v |= in[i + 2];
      out[o++] = tbl[(v >> 18) & 63];
      out[o++] = tbl[(v >> 12) & 63];
      out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
      out[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
  out[o] = '\0';
}

/* ------------------------------------------------------------- connections */

enum cstate {
  ST_BACKOFF,    /* waiting to (re)connect */
  ST_CONNECTING, /* non-blocking connect() in progress */
  ST_UPGRADING,  /* request written (or being written), waiting for the 101 */
  ST_OPEN,       /* WebSocket established */
  ST_DEAD,       /* idle mode after READY: dropped, not reconnected */
};

#define WBUF_SIZE 32768
#define RBUF_INIT 4096
#define MAX_FRAME (16u << 20)
#define MAX_HEADERS 16384

typedef struct {
  int fd;
  enum cstate st;
  unsigned char *rbuf;
  size_t rlen, rcap;
  unsigned char wbuf[WBUF_SIZE];
  size_t woff, wlen;
  char accept[32];       /* expected Sec-WebSocket-Accept */
  uint64_t t_start;      /* connect() (upgrade latency) or request sent (rtt) */
  uint64_t retry_at;
  unsigned backoff_ms;
  int64_t last_id;       /* id of the last frame the server sent */
  int waiting;           /* rtt: a request is outstanding */
  int ready_counted;
} Conn;

static Conn *conns;
static int epfd = -1;
static struct sockaddr_storage peer;
static socklen_t peer_len;
static char host_header[300];
static char request_line[2048];

static volatile sig_atomic_t stop_requested;

/* phases / counters */
static int measuring;
static int running = 1;
static int ready_printed;
static uint64_t t_begin, t_measure, t_end_measure;
static uint64_t count_ok;           /* round trips or upgrades in the window */
#define MAX_WINDOWS 32
static uint64_t window_marks[MAX_WINDOWS]; /* count_ok at the end of each --windows part */
static int n_window_marks;
static uint64_t err_window, err_total;
static uint64_t n_refused, n_reset, n_proto, n_http, n_closed_by_server, n_error_replies;
static int n_ready, n_dropped, n_backoff;
static uint64_t next_retry;
static int last_close_code = -1;
static char last_close_reason[128];

static uint64_t *samples;
static size_t n_samples, cap_samples;

static void conn_start (Conn *c);

static void
record_sample (uint64_t ns)
{
  if (n_samples == cap_samples)
    {
      cap_samples = cap_samples ? cap_samples * 2 : 1 << 16;
      samples = realloc (samples, cap_samples * sizeof *samples);
      if (samples == NULL)
        die ("out of memory");
    }
  samples[n_samples++] = ns;
}

enum errkind { E_REFUSED, E_RESET, E_PROTO, E_HTTP, E_SERVER_CLOSE, E_REPLY };

static void
count_error (enum errkind k)
{
  err_total++;
  if (measuring)
    err_window++;
  switch (k)
    {
    case E_REFUSED: n_refused++; break;
    case E_RESET: n_reset++; break;
    case E_PROTO: n_proto++; break;
    case E_HTTP: n_http++; break;
    case E_SERVER_CLOSE: n_closed_by_server++; break;
    case E_REPLY: n_error_replies++; break;
    }
}

static void
conn_close_fd (Conn *c)
{
  if (c->fd >= 0)
    {
      close (c->fd); /* also removes it from the epoll set */
      c->fd = -1;
    }
  c->rlen = 0;
  c->woff = c->wlen = 0;
  c->waiting = 0;
}

static void
schedule_retry (Conn *c)
{
  uint64_t t = now_ns ();
  if (c->backoff_ms == 0)
    c->backoff_ms = 5;
  else if (c->backoff_ms < 1000)
    c->backoff_ms *= 2;
  /* +-25% jitter so that refused connections do not retry in lockstep */
  uint64_t ms = c->backoff_ms * 3 / 4 + rng_next () % (c->backoff_ms / 2 + 1);
  c->retry_at = t + ms * 1000000u;
  c->st = ST_BACKOFF;
  n_backoff++;
  if (next_retry == 0 || c->retry_at < next_retry)
    next_retry = c->retry_at;
}

/* The connection failed: count it, close it, and reconnect after a backoff
 * (or, in idle mode after READY, leave it dead). */
static void
conn_fail (Conn *c, enum errkind k)
{
  if (c->ready_counted)
    {
      n_ready--;
      c->ready_counted = 0;
    }
  count_error (k);
  conn_close_fd (c);
  if (!running)
    {
      c->st = ST_DEAD;
      return;
    }
  if (opt.mode == MODE_IDLE && ready_printed)
    {
      n_dropped++;
      c->st = ST_DEAD;
      return;
    }
  schedule_retry (c);
}

/* Write as much of the pending output as the socket takes. 0 or -1. */
static int
conn_flush (Conn *c)
{
  while (c->woff < c->wlen)
    {
      ssize_t n = send (c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
      if (n > 0)
        {
          c->woff += (size_t) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0; /* EPOLLOUT (edge) will call us again */
      return -1;
    }
  c->woff = c->wlen = 0;
  return 0;
}

static int
conn_queue (Conn *c, const void *data, size_t len)
{
  if (c->wlen + len > WBUF_SIZE && c->woff > 0)
    {
      memmove (c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
      c->wlen -= c->woff;
      c->woff = 0;
    }
  if (c->wlen + len > WBUF_SIZE)
    return -1;
  memcpy (c->wbuf + c->wlen, data, len);
  c->wlen += len;
  return 0;
}

/* Queue one masked client frame. */
static int
conn_queue_frame (Conn *c, int opcode, const void *payload, size_t len)
{
  unsigned char hdr[14];
  size_t h = 0;
  hdr[h++] = (unsigned char) (0x80 | opcode);
  if (len < 126)
    hdr[h++] = (unsigned char) (0x80 | len);
  else if (len < 65536)
    {
      hdr[h++] = 0x80 | 126;
      hdr[h++] = (unsigned char) (len >> 8);
      hdr[h++] = (unsigned char) len;
    }
  else
    return -1; /* never needed here */
  uint32_t m = (uint32_t) rng_next ();
  unsigned char mask[4] = { (unsigned char) (m >> 24), (unsigned char) (m >> 16),
                            (unsigned char) (m >> 8), (unsigned char) m };
  memcpy (hdr + h, mask, 4);
  h += 4;
  if (h + len > WBUF_SIZE)
    return -1;
  unsigned char buf[WBUF_SIZE];
  memcpy (buf, hdr, h);
  const unsigned char *p = payload;
  /* eight bytes at a time (the mask repeats every four), then the tail */
  uint64_t m8;
  unsigned char mask8[8];
  size_t i = 0;
  for (int k = 0; k < 8; k++)
    mask8[k] = mask[k & 3];
  memcpy (&m8, mask8, 8);
  for (; i + 8 <= len; i += 8)
    {
      uint64_t w;
      memcpy (&w, p + i, 8);
      w ^= m8;
      memcpy (buf + h + i, &w, 8);
    }
  for (; i < len; i++)
    buf[h + i] = p[i] ^ mask[i & 3];
  return conn_queue (c, buf, h + len);
}

static int
conn_send_run (Conn *c)
{
  long long id = (long long) c->last_id + 1;
  size_t cap = strlen (run_content) + 128;
  char *msg = malloc (cap);
  int n, rc;

  if (msg == NULL)
    die ("out of memory");
  n = snprintf (msg, cap, "{\"id\":%lld,\"requestId\":%lld,\"type\":104,\"content\":%s}", id,
                id, run_content);
  c->t_start = now_ns ();
  c->waiting = 1;
  rc = conn_queue_frame (c, 0x1, msg, (size_t) n);
  free (msg);
  if (rc < 0)
    return -1;
  return conn_flush (c);
}

static int
conn_send_request (Conn *c)
{
  char msg[512];
  long long id = (long long) c->last_id + 1;
  int n;

  if (opt.mode == MODE_RUN)
    return conn_send_run (c);
  n = snprintf (msg, sizeof msg,
                    "{\"id\":%lld,\"requestId\":%lld,\"type\":101,"
                    "\"content\":\"{\\\"userId\\\":\\\"%s\\\"}\"}",
                    id, id, opt.user_id);
  if (n < 0 || (size_t) n >= sizeof msg)
    return -1;
  c->t_start = now_ns ();
  c->waiting = 1;
  if (conn_queue_frame (c, 0x1, msg, (size_t) n) < 0)
    return -1;
  return conn_flush (c);
}

static void
conn_start (Conn *c)
{
  c->st = ST_CONNECTING;
  c->rlen = 0;
  c->woff = c->wlen = 0;
  c->waiting = 0;
  c->last_id = 0;
  c->t_start = now_ns ();

  int fd = socket (peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die ("socket: %s", strerror (errno));
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;

  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                            .data.ptr = c };
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    die ("epoll_ctl: %s", strerror (errno));

  if (connect (fd, (struct sockaddr *) &peer, peer_len) < 0 && errno != EINPROGRESS)
    {
      if (errno == EADDRNOTAVAIL || errno == EAGAIN)
        note ("connect: %s (out of local ports?)", strerror (errno));
      conn_fail (c, errno == ECONNREFUSED ? E_REFUSED : E_RESET);
    }
  /* completion (or immediate success) is reported as EPOLLOUT */
}

static void
conn_on_connected (Conn *c)
{
  unsigned char raw[16];
  char key[32], buf[128], req[4096];
  unsigned char digest[20];

  uint64_t a = rng_next (), b = rng_next ();
  memcpy (raw, &a, 8);
  memcpy (raw + 8, &b, 8);
  base64 (raw, 16, key);
  int n = snprintf (buf, sizeof buf, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  sha1 (buf, (size_t) n, digest);
  base64 (digest, 20, c->accept);

  n = snprintf (req, sizeof req,
                "%s"
                "Host: %s\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: %s\r\n"
                "\r\n",
                request_line, host_header, key, opt.protocol);
  c->st = ST_UPGRADING;
  if (n < 0 || (size_t) n >= sizeof req || conn_queue (c, req, (size_t) n) < 0)
    die ("request too long");
  if (conn_flush (c) < 0)
    conn_fail (c, E_RESET);
}

static void
remember_close (const unsigned char *p, size_t len)
{
  if (len >= 2)
    {
      last_close_code = p[0] << 8 | p[1];
      size_t r = len - 2 < sizeof last_close_reason - 1 ? len - 2 : sizeof last_close_reason - 1;
      memcpy (last_close_reason, p + 2, r);
      last_close_reason[r] = '\0';
    }
  else
    last_close_code = 1005;
  if (opt.verbose)
    note ("server closed: %d %s", last_close_code, last_close_reason);
}

/* Send a close frame and drop the socket.  Used after the upgrade in
 * handshake mode and at the end of a run. */
static void
conn_close_politely (Conn *c)
{
  if (c->fd < 0)
    return;
  unsigned char code[2] = { 0x03, 0xE8 }; /* 1000 */
  if (conn_queue_frame (c, 0x8, code, 2) == 0)
    (void) conn_flush (c);
  conn_close_fd (c);
}

static const char *
find_crlfcrlf (const unsigned char *p, size_t len)
{
  for (size_t i = 0; i + 3 < len; i++)
    if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
      return (const char *) p + i;
  return NULL;
}

/* Parse the upgrade response in c->rbuf.  Returns the number of header bytes
 * consumed (>0), 0 if incomplete, -1 on a non-101 and -2 on a 101 that does
 * not select our subprotocol or has a wrong accept key. */
static long
parse_upgrade (Conn *c)
{
  const char *start = (const char *) c->rbuf;
  const char *end = find_crlfcrlf (c->rbuf, c->rlen);
  if (end == NULL)
    return c->rlen > MAX_HEADERS ? -1 : 0;
  long consumed = (long) (end - start) + 4;

  if (end - start < 12 || strncmp (start, "HTTP/1.1 101", 12) != 0)
    {
      if (opt.verbose)
        {
          const char *eol = memchr (start, '\r', (size_t) (end - start));
          note ("upgrade refused: %.*s", (int) ((eol ? eol : end) - start), start);
        }
      return -1;
    }
  int proto_ok = 0, accept_ok = 0;
  const char *line = memchr (start, '\n', (size_t) (end - start));
  while (line != NULL && line < end)
    {
      line++;
      const char *eol = memchr (line, '\r', (size_t) (end + 2 - line));
      if (eol == NULL)
        break;
      const char *colon = memchr (line, ':', (size_t) (eol - line));
      if (colon != NULL)
        {
          size_t nlen = (size_t) (colon - line);
          const char *v = colon + 1;
          while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
          const char *ve = eol;
          while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
          size_t vlen = (size_t) (ve - v);
          if (nlen == 22 && strncasecmp (line, "Sec-WebSocket-Protocol", 22) == 0)
            proto_ok = vlen == strlen (opt.protocol) && memcmp (v, opt.protocol, vlen) == 0;
          else if (nlen == 20 && strncasecmp (line, "Sec-WebSocket-Accept", 20) == 0)
            accept_ok = vlen == strlen (c->accept) && memcmp (v, c->accept, vlen) == 0;
        }
      line = eol + 1;
    }
  if (!proto_ok || !accept_ok)
    {
      if (opt.verbose)
        note ("bad 101: protocol %s, accept %s", proto_ok ? "ok" : "missing/wrong",
              accept_ok ? "ok" : "missing/wrong");
      return -2;
    }
  return consumed;
}

/* Cheap scan for a top-level integer member ("id", "type") of a server
 * frame.  Inside `content` (a JSON string) quotes are escaped, so the first
 * unescaped match is the frame's own member. */
static int
scan_int (const unsigned char *p, size_t len, const char *key, int64_t *out)
{
  const unsigned char *q = p, *e = p + len;
  size_t kl = strlen (key);
  while (q + kl + 1 <= e)
    {
      const unsigned char *m = memchr (q, '"', (size_t) (e - q));
      if (m == NULL || m + kl + 1 > e)
        return 0;
      if (memcmp (m, key, kl) == 0)
        {
          const unsigned char *v = m + kl;
          while (v < e && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
            v++;
          if (v < e && *v == ':')
            {
              v++;
              while (v < e && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
                v++;
              int neg = 0;
              if (v < e && *v == '-')
                neg = 1, v++;
              if (v < e && *v == '"') /* decimal strings are accepted too */
                v++;
              if (v >= e || *v < '0' || *v > '9')
                return 0;
              int64_t x = 0;
              while (v < e && *v >= '0' && *v <= '9')
                x = x * 10 + (*v++ - '0');
              *out = neg ? -x : x;
              return 1;
            }
        }
      q = m + 1;
    }
  return 0;
}

static void
on_reply (Conn *c, uint64_t t)
{
  if (opt.mode != MODE_RTT && opt.mode != MODE_RUN)
    return;
  if (c->waiting)
    {
      c->waiting = 0;
      if (measuring)
        {
          count_ok++;
          record_sample (t - c->t_start);
        }
    }
  if (running && conn_send_request (c) < 0)
    conn_fail (c, E_RESET);
}

/* Parse complete frames in c->rbuf. Returns -1 if the connection was
 * failed/closed (c must not be touched further by the caller). */
static int
process_frames (Conn *c, uint64_t t)
{
  size_t off = 0;
  int fd_before = c->fd;

  while (c->fd == fd_before && c->fd >= 0 && c->rlen - off >= 2)
    {
      const unsigned char *p = c->rbuf + off;
      size_t avail = c->rlen - off;
      int fin = p[0] & 0x80;
      int opcode = p[0] & 0x0f;
      int masked = p[1] & 0x80;
      uint64_t len = p[1] & 0x7f;
      size_t h = 2;
      if (len == 126)
        {
          if (avail < 4)
            break;
          len = (uint64_t) p[2] << 8 | p[3];
          h = 4;
        }
      else if (len == 127)
        {
          if (avail < 10)
            break;
          len = 0;
          for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
          h = 10;
        }
      if (len > MAX_FRAME)
        {
          conn_fail (c, E_PROTO);
          return -1;
        }
      if (masked)
        h += 4;
      if (avail < h + len)
        {
          if (c->rcap < h + len)
            {
              /* make room for the whole frame */
              if (off > 0)
                {
                  memmove (c->rbuf, c->rbuf + off, c->rlen - off);
                  c->rlen -= off;
                  off = 0;
                }
              c->rcap = h + len;
              c->rbuf = realloc (c->rbuf, c->rcap);
              if (c->rbuf == NULL)
                die ("out of memory");
            }
          break;
        }
      unsigned char *pl = c->rbuf + off + h;
      if (masked)
        for (size_t i = 0; i < len; i++)
          pl[i] ^= p[h - 4 + (i & 3)];
      off += h + (size_t) len;

      switch (opcode)
        {
        case 0x0: /* continuation */
        case 0x1: /* text */
        case 0x2: /* binary */
          {
            int64_t id, type = -1;
            if (scan_int (pl, (size_t) len, "\"id\"", &id))
              c->last_id = id;
            if (opt.mode == MODE_RUN)
              {
                /* a run ends with 207 (or 307); 397 = busy: ask again */
                scan_int (pl, (size_t) len, "\"type\"", &type);
                if (type == 397)
                  {
                    n_rejected++;
                    if (running && conn_send_request (c) < 0)
                      {
                        conn_fail (c, E_RESET);
                        return -1;
                      }
                    break;
                  }
                if (type != 207 && type < 300)
                  break;
              }
            /* a 3xx answer (395 wrong id, 301 ...) is an error reply */
            if (scan_int (pl, (size_t) len, "\"type\"", &type) && type >= 300)
              {
                count_error (E_REPLY);
                if (opt.verbose && n_error_replies == 1)
                  note ("error reply: %.*s", (int) (len < 300 ? len : 300), pl);
              }
            if (fin)
              on_reply (c, t);
          }
          break;
        case 0x8: /* close */
          remember_close (pl, (size_t) len);
          conn_fail (c, E_SERVER_CLOSE);
          return -1;
        case 0x9: /* ping */
          if (len > 125 || conn_queue_frame (c, 0xA, pl, (size_t) len) < 0 ||
              conn_flush (c) < 0)
            {
              conn_fail (c, E_RESET);
              return -1;
            }
          break;
        case 0xA: /* pong */
          break;
        default:
          conn_fail (c, E_PROTO);
          return -1;
        }
    }
  if (c->fd != fd_before || c->fd < 0)
    return -1;
  if (off > 0)
    {
      memmove (c->rbuf, c->rbuf + off, c->rlen - off);
      c->rlen -= off;
    }
  return 0;
}

static void
upgrade_done (Conn *c, uint64_t t)
{
  c->backoff_ms = 0;
  switch (opt.mode)
    {
    case MODE_HANDSHAKE:
      if (measuring)
        {
          count_ok++;
          record_sample (t - c->t_start);
        }
      conn_close_politely (c);
      if (running)
        conn_start (c);
      break;
    case MODE_RTT:
    case MODE_RUN:
      c->st = ST_OPEN;
      if (running && conn_send_request (c) < 0)
        conn_fail (c, E_RESET);
      break;
    case MODE_IDLE:
      c->st = ST_OPEN;
      c->ready_counted = 1;
      n_ready++;
      break;
    }
}

static void
conn_on_readable (Conn *c, uint32_t ev_hint)
{
  int eof = 0;
  for (;;)
    {
      if (c->rcap - c->rlen < 1024)
        {
          c->rcap = c->rcap ? c->rcap * 2 : RBUF_INIT;
          c->rbuf = realloc (c->rbuf, c->rcap);
          if (c->rbuf == NULL)
            die ("out of memory");
        }
      size_t room = c->rcap - c->rlen;
      ssize_t n = recv (c->fd, c->rbuf + c->rlen, room, 0);
      if (n > 0)
        {
          c->rlen += (size_t) n;
          /* A short read drained the socket; data arriving later raises a
           * new edge, so skip the recv() that would only say EAGAIN.  A
           * peer's FIN is then seen on that next edge (EPOLLRDHUP). */
          if ((size_t) n < room && !(ev_hint & (EPOLLRDHUP | EPOLLHUP)))
            break;
          continue;
        }
      if (n == 0)
        {
          eof = 1;
          break;
        }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      conn_fail (c, E_RESET);
      return;
    }

  uint64_t t = now_ns ();
  if (c->st == ST_UPGRADING)
    {
      long r = parse_upgrade (c);
      if (r < 0)
        {
          conn_fail (c, r == -1 ? E_HTTP : E_PROTO);
          return;
        }
      if (r == 0)
        {
          if (eof)
            conn_fail (c, E_RESET);
          return;
        }
      memmove (c->rbuf, c->rbuf + r, c->rlen - (size_t) r);
      c->rlen -= (size_t) r;
      int fd_before = c->fd;
      upgrade_done (c, t);
      if (c->fd != fd_before || c->st != ST_OPEN)
        return;
    }
  if (c->st == ST_OPEN && c->rlen > 0 && process_frames (c, t) < 0)
    return;
  if (eof && c->st == ST_OPEN)
    conn_fail (c, E_RESET);
}

static void
conn_on_event (Conn *c, uint32_t events)
{
  if (c->fd < 0)
    return;
  if (c->st == ST_CONNECTING)
    {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err != 0 || (events & (EPOLLERR | EPOLLHUP)))
        {
          if (opt.verbose && n_refused == 0)
            note ("connect: %s", strerror (err ? err : ECONNRESET));
          conn_fail (c, err == ECONNREFUSED ? E_REFUSED : E_RESET);
          return;
        }
      conn_on_connected (c);
      return;
    }
  if ((events & EPOLLOUT) && c->woff < c->wlen)
    {
      if (conn_flush (c) < 0)
        {
          conn_fail (c, E_RESET);
          return;
        }
    }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    conn_on_readable (c, events);
}

/* --------------------------------------------------------------- driver */

static void
on_signal (int sig)
{
  stop_requested = 1;
}

static void
raise_nofile (int need)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return;
  rlim_t want = (rlim_t) need + 64;
  if (rl.rlim_cur >= want)
    return;
  if (rl.rlim_max < want)
    {
      struct rlimit r2 = { want, want };
      if (setrlimit (RLIMIT_NOFILE, &r2) == 0)
        return;
    }
  rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
  setrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want)
    note ("RLIMIT_NOFILE is %llu, fewer than the %d descriptors needed",
          (unsigned long long) rl.rlim_cur, need);
}

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

static double
percentile_us (double q)
{
  if (n_samples == 0)
    return 0.0;
  size_t i = (size_t) (q * (double) n_samples);
  if (i >= n_samples)
    i = n_samples - 1;
  return (double) samples[i] / 1000.0;
}

static void
usage (FILE *f)
{
  fprintf (f,
    "Usage: bench-loadgen [OPTION]...\n"
    "  -m, --mode MODE       rtt (default), handshake or idle\n"
    "  -c, --conns N         connections (default 32; idle: 1000)\n"
    "  -H, --host HOST       server address (default 127.0.0.1)\n"
    "  -p, --port PORT       server port (default 8765)\n"
    "      --path PATH       request path (default /)\n"
    "      --query QUERY     query string without '?' (default\n"
    "                        username=admin&password=admin; '' for none)\n"
    "      --protocol NAME   subprotocol to offer (default alger)\n"
    "      --user-id ID      userId sent in rtt requests (default admin)\n"
    "  -d, --duration SECS   measurement time (default 10)\n"
    "  -w, --warmup SECS     warm-up before measuring (default 2)\n"
    "      --hold SECS       idle: how long to hold after READY (0 = until signal)\n"
    "      --timeout SECS    idle: give up waiting for all upgrades (default 60)\n"
    "      --content-file F  run: the 104 request content (a JSON object) to send\n"
    "      --windows N       also report the rate in each of N equal parts of the\n"
    "                        measurement (windows=r1/r2/...; at most 32)\n"
    "  -v, --verbose         diagnostics on stderr\n"
    "Prints one line: RESULT mode=... key=value ...\n");
}

/* read the content file and escape it as a JSON string literal */
static void
load_run_content (void)
{
  FILE *f = fopen (opt.content_file, "rb");
  long size;
  char *raw, *out, *o;

  if (f == NULL)
    die ("%s: %s", opt.content_file, strerror (errno));
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, 0, SEEK_SET);
  raw = malloc ((size_t) size + 1);
  if (raw == NULL || fread (raw, 1, (size_t) size, f) != (size_t) size)
    die ("cannot read %s", opt.content_file);
  fclose (f);
  raw[size] = '\0';
  out = o = malloc ((size_t) size * 6 + 3);
  if (out == NULL)
    die ("out of memory");
  *o++ = '"';
  for (long i = 0; i < size; i++)
    {
      unsigned char ch = (unsigned char) raw[i];
      if (ch == '"' || ch == '\\')
        {
          *o++ = '\\';
          *o++ = (char) ch;
        }
      else if (ch < 0x20)
        o += sprintf (o, "\\u%04x", ch);
      else
        *o++ = (char) ch;
    }
  *o++ = '"';
  *o = '\0';
  free (raw);
  run_content = out;
}

static void
parse_args (int argc, char **argv)
{
  enum { OPT_PATH = 256, OPT_QUERY, OPT_PROTOCOL, OPT_USERID, OPT_HOLD, OPT_TIMEOUT,
         OPT_CONTENT };
  static const struct option longopts[] = {
    { "mode", required_argument, NULL, 'm' },
    { "conns", required_argument, NULL, 'c' },
    { "host", required_argument, NULL, 'H' },
    { "port", required_argument, NULL, 'p' },
    { "path", required_argument, NULL, OPT_PATH },
    { "query", required_argument, NULL, OPT_QUERY },
    { "protocol", required_argument, NULL, OPT_PROTOCOL },
    { "user-id", required_argument, NULL, OPT_USERID },
    { "duration", required_argument, NULL, 'd' },
    { "warmup", required_argument, NULL, 'w' },
    { "hold", required_argument, NULL, OPT_HOLD },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "content-file", required_argument, NULL, OPT_CONTENT },
    { "verbose", no_argument, NULL, 'v' },
    { "windows", required_argument, NULL, 'W' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int ch;
  while ((ch = getopt_long (argc, argv, "m:c:H:p:d:w:vh", longopts, NULL)) != -1)
    {
      switch (ch)
        {
        case OPT_CONTENT:
          opt.content_file = optarg;
          break;
        case 'm':
          if (strcmp (optarg, "rtt") == 0)
            opt.mode = MODE_RTT;
          else if (strcmp (optarg, "handshake") == 0)
            opt.mode = MODE_HANDSHAKE;
          else if (strcmp (optarg, "run") == 0)
            opt.mode = MODE_RUN;
          else if (strcmp (optarg, "idle") == 0)
            opt.mode = MODE_IDLE;
          else
            die ("unknown mode '%s'", optarg);
          break;
        case 'c': opt.conns = atoi (optarg); break;
        case 'H': opt.host = optarg; break;
        case 'p': opt.port = optarg; break;
        case OPT_PATH: opt.path = optarg; break;
        case OPT_QUERY: opt.query = optarg; break;
        case OPT_PROTOCOL: opt.protocol = optarg; break;
        case OPT_USERID: opt.user_id = optarg; break;
        case 'd': opt.duration = atof (optarg); break;
        case 'w': opt.warmup = atof (optarg); break;
        case OPT_HOLD: opt.hold = atof (optarg); break;
        case OPT_TIMEOUT: opt.timeout = atof (optarg); break;
        case 'v': opt.verbose = 1; break;
        case 'W': opt.windows = atoi (optarg); break;
        case 'h': usage (stdout); exit (0);
        default: usage (stderr); exit (2);
        }
    }
  if (optind < argc)
    die ("unexpected argument '%s'", argv[optind]);
  if (opt.conns < 0)
    opt.conns = opt.mode == MODE_IDLE ? 1000 : 32;
  if (opt.conns < 1 || opt.conns > 1000000)
    die ("bad --conns");
  if (opt.mode == MODE_RUN)
    {
      if (opt.content_file == NULL)
        die ("run mode needs --content-file");
      load_run_content ();
    }
  if (opt.windows < 0 || opt.windows > MAX_WINDOWS)
    die ("--windows: 0 to %d", MAX_WINDOWS);
  if (opt.duration <= 0 || opt.warmup < 0)
    die ("bad --duration/--warmup");
  if (opt.path[0] != '/')
    die ("--path must start with '/'");
  if (strlen (opt.user_id) > 200 || strpbrk (opt.user_id, "\"\\") != NULL)
    die ("bad --user-id");
}

static void
resolve (void)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  int r = getaddrinfo (opt.host, opt.port, &hints, &res);
  if (r != 0 || res == NULL)
    die ("cannot resolve %s:%s: %s", opt.host, opt.port, gai_strerror (r));
  memcpy (&peer, res->ai_addr, res->ai_addrlen);
  peer_len = res->ai_addrlen;
  int v6 = res->ai_family == AF_INET6;
  freeaddrinfo (res);

  snprintf (host_header, sizeof host_header, v6 ? "[%s]:%s" : "%s:%s", opt.host, opt.port);
  int n = snprintf (request_line, sizeof request_line, "GET %s%s%s HTTP/1.1\r\n",
                    opt.path, opt.query[0] ? "?" : "", opt.query);
  if (n < 0 || (size_t) n >= sizeof request_line)
    die ("path/query too long");
}

static void
retry_due (uint64_t t)
{
  next_retry = 0;
  for (int i = 0; i < opt.conns && n_backoff > 0; i++)
    {
      Conn *c = &conns[i];
      if (c->st != ST_BACKOFF)
        continue;
      if (c->retry_at <= t)
        {
          n_backoff--;
          conn_start (c);
        }
      else if (next_retry == 0 || c->retry_at < next_retry)
        next_retry = c->retry_at;
    }
  /* conn_start may have failed synchronously and rescheduled itself; */
  /* recompute the minimum from scratch in that case */
  if (n_backoff > 0)
    {
      next_retry = 0;
      for (int i = 0; i < opt.conns; i++)
        if (conns[i].st == ST_BACKOFF &&
            (next_retry == 0 || conns[i].retry_at < next_retry))
          next_retry = conns[i].retry_at;
    }
}

int
main (int argc, char **argv)
{
  parse_args (argc, argv);
  resolve ();
  raise_nofile (opt.conns + 16);

  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  rng_state = now_ns () ^ ((uint64_t) getpid () << 32) ^ 0x9E3779B97F4A7C15ULL;
  if (rng_state == 0)
    rng_state = 1;

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    die ("epoll_create1: %s", strerror (errno));

  conns = calloc ((size_t) opt.conns, sizeof *conns);
  if (conns == NULL)
    die ("out of memory");

  t_begin = now_ns ();
  uint64_t warm_end = t_begin + (uint64_t) (opt.warmup * 1e9);
  uint64_t measure_end = 0;
  uint64_t idle_deadline = t_begin + (uint64_t) (opt.timeout * 1e9);
  uint64_t hold_end = 0;
  double cpu_start = 0, cpu_end = 0;

  for (int i = 0; i < opt.conns; i++)
    {
      conns[i].fd = -1;
      conn_start (&conns[i]);
    }

  int maxev = opt.conns < 1024 ? opt.conns : 1024;
  struct epoll_event *evs = calloc ((size_t) maxev, sizeof *evs);

  while (running)
    {
      uint64_t t = now_ns ();

      /* phase changes */
      if (opt.mode != MODE_IDLE)
        {
          if (!measuring && measure_end == 0 && t >= warm_end)
            {
              measuring = 1;
              t_measure = t;
              measure_end = t + (uint64_t) (opt.duration * 1e9);
              cpu_start = cpu_seconds ();
              count_ok = 0;
              n_samples = 0;
            }
          else if (measuring && t >= measure_end)
            {
              while (n_window_marks < opt.windows)
                window_marks[n_window_marks++] = count_ok;
              t_end_measure = t;
              cpu_end = cpu_seconds ();
              measuring = 0;
              running = 0;
              break;
            }
          /* the --windows parts that ended (the wait below is at most 100 ms) */
          while (measuring && n_window_marks < opt.windows - 1 &&
                 t >= t_measure + (uint64_t) ((n_window_marks + 1) * opt.duration * 1e9 /
                                              opt.windows))
            window_marks[n_window_marks++] = count_ok;
        }
      else
        {
          if (!ready_printed && (n_ready == opt.conns || t >= idle_deadline))
            {
              ready_printed = 1;
              printf ("READY %d\n", n_ready);
              fflush (stdout);
              if (opt.hold > 0)
                hold_end = t + (uint64_t) (opt.hold * 1e9);
              t_measure = t;
            }
          if (ready_printed && hold_end != 0 && t >= hold_end)
            {
              running = 0;
              break;
            }
        }
      if (stop_requested)
        {
          if (measuring)
            {
              t_end_measure = t;
              cpu_end = cpu_seconds ();
              measuring = 0;
            }
          running = 0;
          break;
        }

      if (n_backoff > 0 && t >= next_retry)
        retry_due (t);

      /* sleep until the next event, retry or phase change */
      uint64_t wake = t + 100000000u; /* at most 100 ms */
      if (n_backoff > 0 && next_retry < wake)
        wake = next_retry;
      if (opt.mode != MODE_IDLE)
        {
          uint64_t ph = measure_end ? measure_end : warm_end;
          if (ph < wake)
            wake = ph;
        }
      int timeout_ms = wake > t ? (int) ((wake - t + 999999) / 1000000) : 0;

      int n = epoll_wait (epfd, evs, maxev, timeout_ms);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("epoll_wait: %s", strerror (errno));
        }
      for (int i = 0; i < n; i++)
        conn_on_event (evs[i].data.ptr, evs[i].events);
    }

  /* wind down: close everything with a close frame */
  for (int i = 0; i < opt.conns; i++)
    conn_close_politely (&conns[i]);

  const char *mode = mode_names[opt.mode];
  if (opt.mode == MODE_IDLE)
    {
      printf ("RESULT mode=idle conns=%d ready=%d dropped=%d errors=%llu refused=%llu"
              " last_close=%d\n",
              opt.conns, n_ready + n_dropped, n_dropped, (unsigned long long) err_total,
              (unsigned long long) n_refused, last_close_code);
      if (n_ready + n_dropped < opt.conns && last_close_code >= 0)
        note ("last close from server: %d %s", last_close_code, last_close_reason);
      return n_ready + n_dropped == opt.conns ? 0 : 1;
    }

  double secs = (double) (t_end_measure - t_measure) / 1e9;
  if (secs <= 0)
    secs = 1e-9;
  qsort (samples, n_samples, sizeof *samples, cmp_u64);
  double rate = (double) count_ok / secs;
  double cpu_pct = 100.0 * (cpu_end - cpu_start) / secs;

  if (opt.windows > 0)
    {
      /* a line of its own before RESULT, which stays the last line */
      uint64_t prev = 0;
      while (n_window_marks < opt.windows)
        window_marks[n_window_marks++] = count_ok;
      printf ("WINDOWS windows=");
      for (int i = 0; i < opt.windows; i++)
        {
          printf ("%s%.1f", i > 0 ? "/" : "", (double) (window_marks[i] - prev) / (secs / opt.windows));
          prev = window_marks[i];
        }
      printf ("\n");
    }
  printf ("RESULT mode=%s conns=%d %s=%.1f p50_us=%.0f p99_us=%.0f p999_us=%.0f"
          " errors=%llu errors_total=%llu refused=%llu reset=%llu http=%llu proto=%llu"
          " server_close=%llu error_replies=%llu count=%llu secs=%.2f cpu_pct=%.1f last_close=%d\n",
          mode, opt.conns, opt.mode == MODE_RTT ? "rps" : opt.mode == MODE_RUN ? "runs_per_s" : "hps", rate,
          percentile_us (0.50), percentile_us (0.99), percentile_us (0.999),
          (unsigned long long) err_window, (unsigned long long) err_total,
          (unsigned long long) n_refused, (unsigned long long) n_reset,
          (unsigned long long) n_http, (unsigned long long) n_proto,
          (unsigned long long) n_closed_by_server, (unsigned long long) n_error_replies,
          (unsigned long long) count_ok,
          secs, cpu_pct, last_close_code);
  if (opt.mode == MODE_RUN)
    note ("busy (397) answers, asked again: %llu", n_rejected);
  if (last_close_code >= 0)
    note ("last close from server: %d %s", last_close_code, last_close_reason);
  return count_ok > 0 ? 0 : 1;
}
