// A bound, listening TCP socket on 127.0.0.1 that accepts only when asked: what a live process's
// listener looks like from outside (the kernel completes connects into the backlog by itself).
// Tests give it as a fake broker's registered endpoint, so the controller's liveness probe finds
// someone there.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace ferry::test {

class ListeningSocket {
 public:
  // `backlog` 0 makes a listener whose queue is full after one unaccepted connection: further
  // connects then hang (Linux drops their SYNs), as towards a host that does not answer.
  explicit ListeningSocket(int backlog = 64) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, backlog) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~ListeningSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;

  uint16_t port() const { return port_; }
  // Accepts and closes every connection waiting in the backlog; how many there were.
  int accept_pending() {
    int n = 0;
    for (int fd; (fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++n)
      ::close(fd);
    return n;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ferry::test
