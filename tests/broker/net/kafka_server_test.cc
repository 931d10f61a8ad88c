// The Kafka listener against a scripted dispatcher: framing, in-order responses with
// pipelining, "no response" slots, oversized frames, sendfile regions and idle reaping.
#include "broker/net/kafka_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "broker/net/kafka_client.h"
#include "tests/support/tcp_client.h"
#include "tests/support/temp_dir.h"

namespace ferry::broker::net {
namespace {

using test::TcpClient;

// Remembers requests; the test decides when and how each is answered.
class ScriptedDispatcher : public RequestDispatcher {
 public:
  void dispatch(InboundRequest request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
    cv_.notify_all();
  }
  // Waits (bounded) until `n` requests arrived.
  bool wait_for(size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return requests_.size() >= n; });
  }
  InboundRequest& at(size_t i) {
    std::lock_guard lock(mutex_);
    return requests_.at(i);
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<InboundRequest> requests_;
};

std::vector<kafka::Writer::Chunk> memory(std::vector<uint8_t> bytes) {
  std::vector<kafka::Writer::Chunk> chunks(1);
  chunks[0].bytes = std::move(bytes);
  return chunks;
}

std::vector<uint8_t> frame_with_id(uint8_t id) {
  return {0, 18, 0, 0, 0, 0, 0, id};
}

class KafkaServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<KafkaServer>(runtime_, dispatcher_, options);
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().to_string();
    port_ = *port;
  }
  void TearDown() override {
    if (server_) server_->stop(1000);
  }

  IoRuntime runtime_{2};
  ScriptedDispatcher dispatcher_;
  std::unique_ptr<KafkaServer> server_;
  uint16_t port_ = 0;
};

TEST_F(KafkaServerTest, responses_are_written_in_request_order_whatever_order_handlers_finish) {
  start();
  TcpClient client(port_);
  ASSERT_TRUE(client.connected());
  for (uint8_t i = 0; i < 3; ++i)
    ASSERT_TRUE(client.send_frame(frame_with_id(i)));
  ASSERT_TRUE(dispatcher_.wait_for(3)) << "pipelined requests are all dispatched";
  dispatcher_.at(2).responder->send(memory({2}));
  dispatcher_.at(1).responder->send_nothing();
  dispatcher_.at(0).responder->send(memory({0}));
  EXPECT_EQ(client.read_frame(), (std::vector<uint8_t>{0}));
  EXPECT_EQ(client.read_frame(), (std::vector<uint8_t>{2}))
      << "the no-response slot keeps its place without writing anything";
}

TEST_F(KafkaServerTest, a_connection_at_its_in_flight_limit_stays_open_until_answers_come) {
  // The server stops reading at max_in_flight_per_connection parked requests (acks=all waiting
  // for a stuck high watermark); the connection used to be destroyed then, silently.
  ServerOptions options;
  options.max_in_flight_per_connection = 2;
  start(options);
  TcpClient client(port_);
  ASSERT_TRUE(client.connected());
  for (uint8_t i = 0; i < 3; ++i)
    ASSERT_TRUE(client.send_frame(frame_with_id(i)));
  ASSERT_TRUE(dispatcher_.wait_for(2));
  EXPECT_FALSE(dispatcher_.wait_for(3)) << "reading paused at two in flight";
  EXPECT_EQ(server_->connection_count(), 1u);
  dispatcher_.at(0).responder->send(memory({0}));
  dispatcher_.at(1).responder->send(memory({1}));
  ASSERT_TRUE(dispatcher_.wait_for(3)) << "reading resumed";
  dispatcher_.at(2).responder->send(memory({2}));
  for (uint8_t i = 0; i < 3; ++i) {
    auto got = client.read_frame();
    ASSERT_TRUE(got.has_value()) << "response " << int(i);
    EXPECT_EQ(*got, std::vector<uint8_t>{i});
  }
}

TEST_F(KafkaServerTest, oversized_frame_closes_the_connection) {
  ServerOptions options;
  options.max_request_bytes = 100;
  start(options);
  TcpClient client(port_);
  ASSERT_TRUE(client.send_raw({0, 0, 1, 0}));  // 256 bytes announced
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(KafkaServerTest, frame_shorter_than_a_header_closes_the_connection) {
  start();
  TcpClient client(port_);
  ASSERT_TRUE(client.send_raw({0, 0, 0, 3, 1, 2, 3}));
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(KafkaServerTest, file_regions_are_sent_between_memory_chunks) {
  start();
  test::TempDir dir;
  const auto path = dir.path() / "segment";
  {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_EQ(::write(fd, "0123456789", 10), 10);
    ::close(fd);
  }
  const int fd = ::open(path.c_str(), O_RDONLY);
  auto owner = std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
  TcpClient client(port_);
  ASSERT_TRUE(client.send_frame(frame_with_id(1)));
  ASSERT_TRUE(dispatcher_.wait_for(1));
  std::vector<kafka::Writer::Chunk> chunks(3);
  chunks[0].bytes = {'<'};
  chunks[1].file = kafka::FileRegion{owner, fd, 3, 4};
  chunks[2].bytes = {'>'};
  dispatcher_.at(0).responder->send(std::move(chunks));
  EXPECT_EQ(client.read_frame(), (std::vector<uint8_t>{'<', '3', '4', '5', '6', '>'}));
}

TEST_F(KafkaServerTest, a_request_dropped_without_answer_closes_the_connection) {
  start();
  TcpClient client(port_);
  ASSERT_TRUE(client.send_frame(frame_with_id(1)));
  ASSERT_TRUE(dispatcher_.wait_for(1));
  dispatcher_.at(0).responder.reset();  // the handler lost it
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(KafkaServerTest, idle_connections_are_reaped) {
  ServerOptions options;
  options.idle_timeout_ms = 50;
  start(options);
  TcpClient client(port_);
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(KafkaServerTest, stop_lets_in_flight_requests_finish) {
  start();
  TcpClient client(port_);
  ASSERT_TRUE(client.send_frame(frame_with_id(7)));
  ASSERT_TRUE(dispatcher_.wait_for(1));
  std::thread answer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // answered late, on purpose
    dispatcher_.at(0).responder->send(memory({7}));
  });
  server_->stop(5000);
  answer.join();
  EXPECT_EQ(client.read_frame(), (std::vector<uint8_t>{7}));
  EXPECT_EQ(server_->connection_count(), 0u);
}

// A response that finished reading just before close() ran still reaches the connection's
// strand, with success, after close() answered every request: it must be dropped, not matched
// against the now empty queue (ferryd crashed in free() during rolling restarts). With two io
// threads, close() from outside races the answer's arrival in every round.
TEST_F(KafkaServerTest, client_connection_closed_while_answers_arrive_answers_each_request_once) {
  start();
  struct Answers {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> seen;
    void record(std::string what) {
      std::lock_guard lock(mutex);
      seen.push_back(std::move(what));
      cv.notify_all();
    }
  };
  IoRuntime client_runtime(2);
  std::vector<std::shared_ptr<Answers>> rounds;
  constexpr int kRounds = 300;
  constexpr int kPipelined = 3;
  constexpr size_t kAnswerBytes = 256 * 1024;  // read in several pieces: a wider window
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    auto answers = rounds.emplace_back(std::make_shared<Answers>());
    KafkaClientConnection connection(client_runtime, "127.0.0.1", port_, ClientOptions{});
    for (int i = 0; i < kPipelined; ++i) {
      connection.send(frame_with_id(static_cast<uint8_t>(i)), 5000, [answers](Result<Bytes> r) {
        answers->record(r.ok() ? "ok" : error_name(r.error().code()));
      });
    }
    ASSERT_TRUE(dispatcher_.wait_for(static_cast<size_t>(kPipelined * (round + 1))));
    for (int i = 0; i < kPipelined; ++i)
      dispatcher_.at(static_cast<size_t>(kPipelined * round + i))
          .responder->send(memory(std::vector<uint8_t>(kAnswerBytes, static_cast<uint8_t>(i))));
    connection.close();
    std::unique_lock lock(answers->mutex);
    ASSERT_TRUE(answers->cv.wait_for(lock, std::chrono::seconds(5), [&] {
      return answers->seen.size() >= static_cast<size_t>(kPipelined);
    }));
    for (const auto& seen : answers->seen)
      EXPECT_TRUE(seen == "ok" || seen == "NETWORK_EXCEPTION") << seen;
  }
  client_runtime.stop();
  for (const auto& answers : rounds)
    EXPECT_EQ(answers->seen.size(), static_cast<size_t>(kPipelined));
}

// stop() winds the io threads down: a timer still scheduled is cancelled (its task does not run)
// and its handler, with everything it captured, is gone when stop() returns, not left for the
// io_context's destructor after what the captures point to was destroyed (a crash at exit).
TEST(IoRuntime, stop_cancels_scheduled_timers_and_releases_their_handlers) {
  IoRuntime runtime(2);
  auto sentinel = std::make_shared<int>(7);
  std::weak_ptr<int> watch = sentinel;
  std::atomic<bool> ran{false};
  auto timer = runtime.executor().schedule_after(
      600'000, [sentinel = std::move(sentinel), &ran] { ran = *sentinel == 7; });
  timer.reset();
  ASSERT_FALSE(watch.expired());
  runtime.stop();
  EXPECT_TRUE(watch.expired());
  EXPECT_FALSE(ran.load());
}

// What a cancelled handler releases may schedule more (a parked request's destructor answering
// and re-arming, say): such a timer is cancelled at birth too, not left for the io_context's
// destructor.
TEST(IoRuntime, timers_scheduled_while_stopping_are_cancelled_at_birth) {
  IoRuntime runtime(2);
  auto late = std::make_shared<int>(8);
  std::weak_ptr<int> watch_late = late;
  std::atomic<bool> late_ran{false};
  struct ScheduleOnDestruction {
    Executor* executor;
    std::shared_ptr<int> late;
    std::atomic<bool>* late_ran;
    ~ScheduleOnDestruction() {
      executor->schedule_after(600'000, [late = std::move(late), ran = late_ran] { *ran = true; });
    }
  };
  auto rescheduler =
      std::make_shared<ScheduleOnDestruction>(&runtime.executor(), std::move(late), &late_ran);
  runtime.executor().schedule_after(600'000, [rescheduler = std::move(rescheduler)] {});
  ASSERT_FALSE(watch_late.expired());
  runtime.stop();
  EXPECT_TRUE(watch_late.expired());
  EXPECT_FALSE(late_ran.load());
}

}  // namespace
}  // namespace ferry::broker::net
