// The benchmark's physical limit: the least an MJPEG fan-out can cost on this kernel and machine,
// in C with epoll and nothing else. Not product code. Like picamd it runs the camera command, cuts
// its output into JPEG frames (segments skipped by their lengths, so no marker inside one can fool
// it), lays each frame out once as one multipart part shared by every viewer (picamd's buildPart)
// and sends it to each viewer with one send(); a viewer whose socket is full finishes its frame when
// epoll says it drained, then gets the newest frame, never a queue (picamd's ViewerPacer). The same
// wire format as picamd's for a direct client. Built by test/bench/run.ts with the system's cc.
//
//   limit-server <port> <camera command> [camera args...]
//
// Answers GET /stream.mjpg, and /healthz and /api/status with the fields the benchmark reads.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BOUNDARY "picamd-frame-boundary"
#define MAX_FRAME (8 << 20)
#define MAX_CLIENTS 4096

typedef struct { int refs; size_t len; unsigned char data[]; } Part; // one frame on the wire, shared
typedef struct { int fd, idx; Part *cur, *next; size_t off, reqlen; char req[2048]; } Client;

static Client *viewers[MAX_CLIENTS];
static int nviewers, camera_pid, listen_tag, camera_tag;
static Part *latest;
static unsigned char acc[MAX_FRAME]; // the camera's bytes from the current frame's SOI on
static size_t have, pos;
static int entropy;

static Part *part_new(size_t len) { Part *p = malloc(sizeof *p + len); p->refs = 1; p->len = len; return p; }
static Part *ref(Part *p) { if (p) p->refs++; return p; }
static void unref(Part *p) { if (p && --p->refs == 0) free(p); }

// Sends the frame in flight, then the one waiting: -1 when the connection failed.
static int pump(Client *c) {
  while (c->cur) {
    size_t left = c->cur->len - c->off;
    ssize_t n = send(c->fd, c->cur->data + c->off, left, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    c->off += n;
    if ((size_t)n < left) return 0; // full: epoll (edge-triggered EPOLLOUT) says when it drained
    unref(c->cur); c->cur = c->next; c->next = NULL; c->off = 0;
  }
  return 0;
}

// The newest frame for a viewer: sent now, or kept (replacing a waiting one) until its socket drains.
static void offer(Client *c, Part *p) {
  if (c->cur) { unref(c->next); c->next = ref(p); return; }
  c->cur = ref(p); c->off = 0;
  if (pump(c) < 0) shutdown(c->fd, SHUT_RDWR); // freed when epoll reports the hang-up
}

static void publish(const unsigned char *jpeg, size_t len) {
  char head[128];
  static const char tail[] = "\r\n--" BOUNDARY "\r\n";
  int hl = snprintf(head, sizeof head, "Content-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", len);
  Part *p = part_new(hl + len + sizeof tail - 1);
  memcpy(p->data, head, hl); memcpy(p->data + hl, jpeg, len); memcpy(p->data + hl + len, tail, sizeof tail - 1);
  unref(latest); latest = p;
  for (int i = 0; i < nviewers; i++) offer(viewers[i], p);
}

// The length of the whole JPEG at acc[0] once it has arrived, else 0; resumes where it stopped.
static size_t frame_end(void) {
  while (pos + 1 < have) {
    if (entropy) { // entropy-coded data: FF00 and restart markers belong to it
      unsigned char *ff = memchr(acc + pos, 0xff, have - pos - 1);
      if (!ff) { pos = have - 1; return 0; }
      pos = ff - acc;
      unsigned char m = acc[pos + 1];
      if (m == 0 || m == 0xff || (m >= 0xd0 && m <= 0xd7)) { pos += m == 0xff ? 1 : 2; continue; }
      entropy = 0;
    }
    unsigned char m = acc[pos + 1];
    if (acc[pos] != 0xff) return (size_t)-1;
    if (m == 0xd9) return pos + 2;
    if (m == 0xff) { pos++; continue; }
    if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { pos += 2; continue; }
    if (pos + 4 > have) return 0;
    pos += 2 + (acc[pos + 2] << 8 | acc[pos + 3]);
    entropy = m == 0xda;
  }
  return 0;
}

static void read_camera(int fd) {
  for (;;) {
    ssize_t n = read(fd, acc + have, MAX_FRAME - have);
    if (n == 0) { fprintf(stderr, "limit: the camera ended\n"); exit(1); }
    if (n < 0) { if (errno == EAGAIN) return; perror("limit: camera"); exit(1); }
    have += n;
    for (;;) {
      if (pos == 0) { // look for SOI
        unsigned char *soi = memmem(acc, have, "\xff\xd8", 2);
        size_t skip = soi ? (size_t)(soi - acc) : have - (have && acc[have - 1] == 0xff);
        memmove(acc, acc + skip, have - skip); have -= skip;
        if (!soi) break;
        pos = 2; entropy = 0;
      }
      size_t end = frame_end();
      if (end == (size_t)-1) end = 2; // not a JPEG after all: drop its SOI and look again
      else if (end) publish(acc, end);
      else if (have < MAX_FRAME) break;
      else end = have; // too long: dropped
      memmove(acc, acc + end, have - end); have -= end; pos = 0;
    }
  }
}

static void drop(Client *c) {
  if (c->idx >= 0) { viewers[c->idx] = viewers[--nviewers]; viewers[c->idx]->idx = c->idx; }
  close(c->fd); unref(c->cur); unref(c->next); free(c);
}

static void reply(Client *c, const char *body) {
  char out[512];
  int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   body ? "200 OK" : "404 Not Found", body ? strlen(body) : 0, body ? body : "");
  send(c->fd, out, n, MSG_NOSIGNAL);
  drop(c);
}

static void on_request(Client *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->req + c->reqlen, sizeof c->req - 1 - c->reqlen, 0);
    if (n <= 0) { if (n < 0 && errno == EAGAIN) return; drop(c); return; }
    c->reqlen += n; c->req[c->reqlen] = 0;
    if (strstr(c->req, "\r\n\r\n")) break;
    if (c->reqlen == sizeof c->req - 1) { drop(c); return; }
  }
  if (!strncmp(c->req, "GET /stream.mjpg ", 17) || !strncmp(c->req, "GET /stream.mjpg?", 17)) {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=" BOUNDARY
      "\r\nCache-Control: no-store, no-cache, must-revalidate\r\nPragma: no-cache\r\nX-Content-Type-Options: nosniff"
      "\r\nContent-Length: 9007199254740991\r\n\r\n--" BOUNDARY "\r\n";
    if (nviewers == MAX_CLIENTS) { drop(c); return; }
    c->idx = nviewers; viewers[nviewers++] = c;
    Part *p = part_new(sizeof head - 1);
    memcpy(p->data, head, sizeof head - 1);
    offer(c, p); unref(p);
    if (latest) offer(c, latest);
  } else if (!strncmp(c->req, "GET /healthz ", 13)) {
    reply(c, "{\"ok\":true}");
  } else if (!strncmp(c->req, "GET /api/status ", 16)) {
    char body[128];
    snprintf(body, sizeof body, "{\"camera\":{\"state\":\"%s\",\"pid\":%d}}", latest ? "streaming" : "starting", camera_pid);
    reply(c, body);
  } else {
    reply(c, NULL);
  }
}

static void on_term(int sig) { (void)sig; kill(camera_pid, SIGTERM); _exit(0); }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: limit-server <port> <camera command> [args...]\n"); return 64; }
  struct rlimit nofile;
  if (!getrlimit(RLIMIT_NOFILE, &nofile)) { nofile.rlim_cur = nofile.rlim_max; setrlimit(RLIMIT_NOFILE, &nofile); }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC)) { perror("pipe"); return 1; }
  camera_pid = fork();
  if (camera_pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pipefd[1], 1);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  close(pipefd[1]);
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 1024)) { perror("limit: listen"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = &listen_tag };
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &camera_tag;
  epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
  fprintf(stderr, "limit: listening on http://127.0.0.1:%s/, camera pid %d\n", argv[1], camera_pid);

  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &camera_tag) { read_camera(pipefd[0]); continue; }
      if (tag == &listen_tag) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          Client *c = calloc(1, sizeof *c);
          c->fd = fd; c->idx = -1;
          struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      Client *c = tag;
      if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) drop(c);
      else if (c->idx < 0) { if (events[i].events & EPOLLIN) on_request(c); }
      else if (pump(c) < 0) drop(c);
    }
  }
}
