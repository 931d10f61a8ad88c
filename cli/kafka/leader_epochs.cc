#include "cli/kafka/leader_epochs.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include <fmt/format.h>

namespace ferry::cli {

namespace {

constexpr int16_t kMetadataKey = 3;
constexpr int16_t kMetadataVersion = 7;
constexpr int32_t kCorrelationId = 7;
constexpr uint32_t kMaxResponseBytes = 64 << 20;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void put16(std::string& out, int16_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}
void put32(std::string& out, int32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((v >> shift) & 0xff);
}
void put_string(std::string& out, const std::string& s) {
  put16(out, static_cast<int16_t>(s.size()));
  out += s;
}

std::string metadata_request(const std::vector<std::string>& topics) {
  std::string body;
  put16(body, kMetadataKey);
  put16(body, kMetadataVersion);
  put32(body, kCorrelationId);
  put_string(body, "ferry-cli");
  put32(body, static_cast<int32_t>(topics.size()));
  for (const auto& t : topics)
    put_string(body, t);
  body += '\0';  // AllowAutoTopicCreation = false
  std::string frame;
  put32(frame, static_cast<int32_t>(body.size()));
  return frame + body;
}

// Bounds-checked big-endian reader with a sticky failure.
class Reader {
 public:
  explicit Reader(const std::string& data) : data_(data) {}
  bool ok() const { return ok_; }
  int64_t take(size_t n) {
    if (!ok_ || pos_ + n > data_.size()) {
      ok_ = false;
      return 0;
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += n;
    // Sign-extend the 2- and 4-byte fields.
    if (n == 2) v = static_cast<int16_t>(v);
    if (n == 4) v = static_cast<int32_t>(v);
    return v;
  }
  std::string string() {
    const int64_t len = take(2);
    if (len < 0) return {};
    if (!ok_ || pos_ + static_cast<size_t>(len) > data_.size()) {
      ok_ = false;
      return {};
    }
    std::string s = data_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  // An array count, refused when negative or larger than the bytes left could hold.
  int32_t count() {
    const int64_t n = take(4);
    if (n < 0 || static_cast<size_t>(n) > data_.size() - std::min(pos_, data_.size())) {
      ok_ = false;
      return 0;
    }
    return static_cast<int32_t>(n);
  }
  void skip_int32_array() {
    const int32_t n = count();
    for (int32_t i = 0; i < n && ok_; ++i)
      take(4);
  }

 private:
  const std::string& data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Result<LeaderEpochs> parse(const std::string& response) {
  Reader r(response);
  if (r.take(4) != kCorrelationId) return Error(ErrorCode::CORRUPT_MESSAGE, "correlation id");
  r.take(4);  // throttle
  for (int32_t b = r.count(); b > 0 && r.ok(); --b) {
    r.take(4);
    r.string();
    r.take(4);
    r.string();  // rack (nullable: -1 length reads as empty)
  }
  r.string();  // cluster id
  r.take(4);   // controller id
  LeaderEpochs out;
  for (int32_t t = r.count(); t > 0 && r.ok(); --t) {
    r.take(2);
    const std::string name = r.string();
    r.take(1);
    for (int32_t p = r.count(); p > 0 && r.ok(); --p) {
      r.take(2);
      const auto index = static_cast<int32_t>(r.take(4));
      r.take(4);  // leader
      const auto epoch = static_cast<int32_t>(r.take(4));
      r.skip_int32_array();
      r.skip_int32_array();
      r.skip_int32_array();
      out[{name, index}] = epoch;
    }
  }
  if (!r.ok()) return Error(ErrorCode::CORRUPT_MESSAGE, "truncated Metadata v7 response");
  return out;
}

class Socket {
 public:
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status connect(const std::string& host, const std::string& port, int64_t deadline) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
      return Error(ErrorCode::NETWORK_EXCEPTION, fmt::format("cannot resolve {}", host));
    }
    fd_ = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK, found->ai_protocol);
    const int rc = fd_ < 0 ? -1 : ::connect(fd_, found->ai_addr, found->ai_addrlen);
    ::freeaddrinfo(found);
    if (fd_ < 0 || (rc != 0 && errno != EINPROGRESS)) {
      return Error(ErrorCode::NETWORK_EXCEPTION,
                   fmt::format("cannot connect to {}:{}", host, port));
    }
    if (!wait(POLLOUT, deadline)) return Error(ErrorCode::REQUEST_TIMED_OUT, "connect timed out");
    int error = 0;
    socklen_t len = sizeof(error);
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      return Error(ErrorCode::NETWORK_EXCEPTION,
                   fmt::format("cannot connect to {}:{}", host, port));
    }
    return ok_status();
  }
  Status send_all(const std::string& data, int64_t deadline) {
    size_t done = 0;
    while (done < data.size()) {
      if (!wait(POLLOUT, deadline)) return Error(ErrorCode::REQUEST_TIMED_OUT, "send timed out");
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0 && errno != EAGAIN) return Error(ErrorCode::NETWORK_EXCEPTION, "send failed");
      if (n > 0) done += static_cast<size_t>(n);
    }
    return ok_status();
  }
  Result<std::string> receive(size_t size, int64_t deadline) {
    std::string out(size, '\0');
    size_t done = 0;
    while (done < size) {
      if (!wait(POLLIN, deadline)) return Error(ErrorCode::REQUEST_TIMED_OUT, "read timed out");
      const ssize_t n = ::recv(fd_, out.data() + done, size - done, 0);
      if (n == 0) return Error(ErrorCode::NETWORK_EXCEPTION, "connection closed");
      if (n < 0 && errno != EAGAIN) return Error(ErrorCode::NETWORK_EXCEPTION, "read failed");
      if (n > 0) done += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  bool wait(short events, int64_t deadline) {
    const int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, static_cast<int>(left)) == 1;
  }
  int fd_ = -1;
};

Result<LeaderEpochs> ask(const std::string& broker, const std::string& request, int64_t deadline) {
  const size_t colon = broker.rfind(':');
  if (colon == std::string::npos) {
    return Error(ErrorCode::INVALID_CONFIG, fmt::format("'{}' is not host:port", broker));
  }
  Socket socket;
  FERRY_TRY(socket.connect(broker.substr(0, colon), broker.substr(colon + 1), deadline));
  FERRY_TRY(socket.send_all(request, deadline));
  FERRY_ASSIGN_OR_RETURN(const std::string size_bytes, socket.receive(4, deadline));
  uint32_t size = 0;
  for (char c : size_bytes)
    size = (size << 8) | static_cast<uint8_t>(c);
  if (size > kMaxResponseBytes) return Error(ErrorCode::CORRUPT_MESSAGE, "oversized response");
  FERRY_ASSIGN_OR_RETURN(const std::string response, socket.receive(size, deadline));
  return parse(response);
}

}  // namespace

Result<LeaderEpochs> fetch_leader_epochs(const std::string& brokers,
                                         const std::vector<std::string>& topics,
                                         int64_t timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  const std::string request = metadata_request(topics);
  Error last(ErrorCode::NETWORK_EXCEPTION, "no bootstrap broker");
  size_t start = 0;
  while (start <= brokers.size()) {
    const size_t comma = brokers.find(',', start);
    const std::string broker =
        brokers.substr(start, comma == std::string::npos ? brokers.npos : comma - start);
    if (!broker.empty()) {
      auto got = ask(broker, request, deadline);
      if (got.ok()) return got;
      last = got.error();
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return last;
}

}  // namespace ferry::cli
