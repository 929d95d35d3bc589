// The stub's connection: listening (loopback by default), accepting one gdb, packets in
// and out with acks, SIGIO so a spinning guest notices gdb, and the stop/resume cycle
// (poll, stopped, exited). What each packet does is commands.cpp.
#include "gdbstub/gdbstub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "error.h"
#include "gdbstub/registers.h"

namespace rs::gdb {

namespace {

// SIGIO when the socket becomes readable: the machine leaves translated code to look.
void signal_on_input(int fd) {
  // Until the run loop installs its handler, SIGIO must not kill the process.
  struct sigaction cur {};
  if (sigaction(SIGIO, nullptr, &cur) == 0 && cur.sa_handler == SIG_DFL) signal(SIGIO, SIG_IGN);
  fcntl(fd, F_SETOWN, getpid());
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}


}  // namespace

GdbStub::GdbStub(Target& t, const std::string& host, uint16_t port) : t_(t) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
      throw UsageError("--gdb: cannot resolve '" + host + "' to an IPv4 address");
    sa.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
    freeaddrinfo(res);
  }
  if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
    spdlog::warn("gdbstub listening on {}:{}, not a loopback address: anyone who can connect controls the guest",
                 host, port);
  listen_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_ < 0) throw UsageError(std::string("--gdb: socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listen_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listen_, 1) != 0) {
    std::string why = std::strerror(errno);
    close(listen_);
    throw UsageError("--gdb: cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
  }
  signal_on_input(listen_);
}

GdbStub::~GdbStub() {
  close_conn();
  if (listen_ >= 0) close(listen_);
}

void GdbStub::close_conn() {
  if (conn_ >= 0) close(conn_);
  resumed_ = false;
  conn_ = -1;
  no_ack_ = false;
  parser_ = PacketParser{};
  packets_.clear();
  interrupt_ = false;
}

bool GdbStub::accept_pending(bool block) {
  pollfd p{listen_, POLLIN, 0};
  if (::poll(&p, 1, block ? -1 : 0) <= 0) return false;
  int fd = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return false;
  if (conn_ >= 0) {  // one debugger at a time
    close(fd);
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn_ = fd;
  signal_on_input(conn_);
  spdlog::info("gdb connected");
  return true;
}

bool GdbStub::wait_for_connection() {
  while (conn_ < 0) {
    if (!accept_pending(true) && errno == EINTR) return false;
  }
  return true;
}

void GdbStub::send_packet(const std::string& payload) {
  if (conn_ < 0) return;
  last_sent_ = frame(payload);
  size_t off = 0;
  while (off < last_sent_.size()) {
    ssize_t n = send(conn_, last_sent_.data() + off, last_sent_.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close_conn();
      return;
    }
    off += size_t(n);
  }
}

bool GdbStub::read_some(bool block) {
  if (conn_ < 0) return false;
  pollfd p{conn_, POLLIN, 0};
  int r = ::poll(&p, 1, block ? -1 : 0);
  if (r < 0) return errno == EINTR;
  if (r == 0) return true;
  uint8_t buf[4096];
  ssize_t n = recv(conn_, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    spdlog::info("gdb disconnected");
    close_conn();
    return false;
  }
  for (ssize_t i = 0; i < n && conn_ >= 0; ++i) {
    switch (parser_.feed(buf[i])) {
      case PacketParser::Event::Packet:
        if (!no_ack_) send(conn_, "+", 1, MSG_NOSIGNAL);
        packets_.push_back(parser_.payload());
        break;
      case PacketParser::Event::BadChecksum:
        if (!no_ack_) send(conn_, "-", 1, MSG_NOSIGNAL);
        break;
      case PacketParser::Event::Nak:
        if (!last_sent_.empty()) send(conn_, last_sent_.data(), last_sent_.size(), MSG_NOSIGNAL);
        break;
      case PacketParser::Event::Interrupt:
        interrupt_ = true;
        break;
      case PacketParser::Event::Overflow:
        spdlog::warn("gdbstub: packet larger than {} bytes, dropping the connection", kMaxPacket);
        close_conn();
        return false;
      default:
        break;
    }
  }
  return conn_ >= 0;
}

bool GdbStub::poll(StopReason& why) {
  if (conn_ < 0) {
    if (!accept_pending(false)) return false;
    why = StopReason{StopReason::Signal, 2};  // attaching stops the guest, as in QEMU
    return true;
  }
  if (!read_some(false)) return false;
  packets_.clear();  // in all-stop mode gdb sends nothing but Ctrl-C while the guest runs
  if (!interrupt_) return false;
  interrupt_ = false;
  why = StopReason{StopReason::Signal, 2};
  return true;
}

std::string GdbStub::stop_reply(const StopReason& why) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "T%02xthread:01;", why.signal);
  std::string s = buf;
  if (why.kind == StopReason::SwBreak) s += "swbreak:;";
  if (why.kind == StopReason::HwBreak) s += "hwbreak:;";
  if (why.kind == StopReason::Watch) {
    static const char* names[5] = {"", "", "watch", "rwatch", "awatch"};
    std::snprintf(buf, sizeof buf, "%s:%x;", names[why.watch_type], why.watch_addr);
    s += buf;
  }
  return s;
}

Resume GdbStub::stopped(const StopReason& why) {
  last_stop_ = why;
  if (conn_ < 0) return Resume::Continue;
  // gdb waits for a stop reply only after it resumed the guest; a stop on attach is
  // reported when gdb asks ('?').
  if (resumed_) send_packet(stop_reply(why));
  resumed_ = false;
  for (;;) {
    while (!packets_.empty()) {
      std::string p = std::move(packets_.front());
      packets_.erase(packets_.begin());
      Resume how = Resume::Continue;
      if (handle(p, how) == Reply::Resume) {
        resumed_ = how == Resume::Continue || how == Resume::Step;
        return how;
      }
      if (conn_ < 0) return Resume::Detach;
    }
    interrupt_ = false;  // Ctrl-C while stopped: already stopped
    if (!read_some(true) && conn_ < 0) return Resume::Detach;  // gdb went away: the guest runs on
  }
}

void GdbStub::exited(int status) {
  if (conn_ < 0) return;
  char buf[8];
  std::snprintf(buf, sizeof buf, "W%02x", status & 0xFF);
  send_packet(buf);
  close_conn();
}

}  // namespace rs::gdb
