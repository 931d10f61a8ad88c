// The controller's liveness probe against real sockets on 127.0.0.1: only a refusal on every
// endpoint says a broker's process is gone.
#include "controller/quorum/liveness_probe.h"

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/io_context.hpp>

#include "tests/support/listening_socket.h"
#include "tests/support/process.h"

namespace ferry::controller {
namespace {

metadata::Endpoint at(std::string host, int port) {
  return metadata::Endpoint{"PLAINTEXT", std::move(host), port};
}

ProbeVerdict probe(std::vector<metadata::Endpoint> endpoints, int64_t timeout_ms = 2000) {
  boost::asio::io_context io;
  std::optional<ProbeVerdict> verdict;
  int calls = 0;
  probe_endpoints(io.get_executor(), std::move(endpoints), timeout_ms, [&](ProbeVerdict v) {
    verdict = v;
    ++calls;
  });
  io.run();  // returns once the probe's last handler ran
  EXPECT_EQ(calls, 1);
  return verdict.value_or(ProbeVerdict::kInconclusive);
}

TEST(LivenessProbe, every_endpoint_refusing_means_gone) {
  const int closed1 = test::free_port();  // claimed for this process, nothing listens
  const int closed2 = test::free_port();
  EXPECT_EQ(probe({at("127.0.0.1", closed1)}), ProbeVerdict::kGone);
  EXPECT_EQ(probe({at("127.0.0.1", closed1), at("localhost", closed2)}), ProbeVerdict::kGone);
}

TEST(LivenessProbe, a_listening_endpoint_proves_nothing) {
  test::ListeningSocket live;
  const int closed = test::free_port();
  EXPECT_EQ(probe({at("127.0.0.1", live.port())}), ProbeVerdict::kInconclusive);
  EXPECT_EQ(probe({at("127.0.0.1", closed), at("127.0.0.1", live.port())}),
            ProbeVerdict::kInconclusive);
  EXPECT_EQ(live.accept_pending(), 2);
}

TEST(LivenessProbe, no_endpoints_unresolvable_hosts_and_timeouts_prove_nothing) {
  EXPECT_EQ(probe({}), ProbeVerdict::kInconclusive);
  EXPECT_EQ(probe({at("", 9092)}), ProbeVerdict::kInconclusive);
  EXPECT_EQ(probe({at("no-such-host.invalid", 9092)}), ProbeVerdict::kInconclusive);

  // A connect that never completes: a listener whose accept queue is full (Linux drops the SYNs;
  // the same as a host that does not answer). Filled with non-blocking connects.
  test::ListeningSocket full(/*backlog=*/0);
  std::vector<int> fillers;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(full.port());
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  EXPECT_EQ(probe({at("127.0.0.1", full.port())}, 300), ProbeVerdict::kInconclusive);
  for (int fd : fillers)
    ::close(fd);
}

}  // namespace
}  // namespace ferry::controller
