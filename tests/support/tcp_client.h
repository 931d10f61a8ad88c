// A blocking loopback TCP client for tests: connect, send Kafka frames, read frames back, all
// with a receive timeout so a test never hangs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

class TcpClient {
 public:
  TcpClient(uint16_t port, int timeout_ms = 5000) : timeout_ms_(timeout_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~TcpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return connected_; }

  bool send_raw(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Sends a size-prefixed frame.
  bool send_frame(const std::vector<uint8_t>& body) {
    std::vector<uint8_t> framed(4);
    const uint32_t n = static_cast<uint32_t>(body.size());
    framed[0] = static_cast<uint8_t>(n >> 24);
    framed[1] = static_cast<uint8_t>(n >> 16);
    framed[2] = static_cast<uint8_t>(n >> 8);
    framed[3] = static_cast<uint8_t>(n);
    framed.insert(framed.end(), body.begin(), body.end());
    return send_raw(framed);
  }
  // Reads one size-prefixed frame; nullopt on timeout or close.
  std::optional<std::vector<uint8_t>> read_frame() {
    std::vector<uint8_t> size(4);
    if (!read_exact(size)) return std::nullopt;
    const uint32_t n =
        (uint32_t{size[0]} << 24) | (uint32_t{size[1]} << 16) | (uint32_t{size[2]} << 8) | size[3];
    std::vector<uint8_t> body(n);
    if (!read_exact(body)) return std::nullopt;
    return body;
  }
  // True when the server closed the connection (EOF) within the timeout.
  bool closed_by_peer() {
    uint8_t b;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms_) <= 0) return false;
    return ::recv(fd_, &b, 1, 0) == 0;
  }

 private:
  bool read_exact(std::vector<uint8_t>& out) {
    size_t done = 0;
    while (done < out.size()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms_) <= 0) return false;
      const ssize_t n = ::recv(fd_, out.data() + done, out.size() - done, 0);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  int timeout_ms_;
};

}  // namespace ferry::test
