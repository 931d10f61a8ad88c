// librdkafka's C API (the library under kcat and confluent-kafka) against a real ferryd:
// produce with acks 0, 1 and all, consume with assign + seek, restart the broker gracefully and
// with kill -9, and check the history: every acknowledged record comes back exactly once, in
// order per partition, with key, value, headers and timestamp intact; nothing else comes back.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/random.h"
#include "tests/support/ferryd_process.h"

namespace ferry {
namespace {

using test::FerrydProcess;

struct Record {
  int32_t partition = 0;
  int64_t offset = -1;
  std::string key;
  std::string value;
  std::string header;
  int64_t timestamp = 0;
};

std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> make_conf(
    const std::map<std::string, std::string>& settings) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          rd_kafka_conf_destroy);
  char err[256];
  for (const auto& [k, v] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err),
              RD_KAFKA_CONF_OK)
        << k << ": " << err;
  }
  return conf;
}

using Handle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

// Collects delivery reports into `acked` (the delivery opaque is the record's index).
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* acked = static_cast<std::vector<Record>*>(opaque);
  auto* index = static_cast<size_t*>(m->_private);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (*acked)[*index].partition = m->partition;
    (*acked)[*index].offset = m->offset;
  }
  delete index;
}

Handle make_producer(const std::string& bootstrap, const std::string& acks,
                     std::vector<Record>* acked) {
  auto conf = make_conf({{"bootstrap.servers", bootstrap},
                         {"acks", acks},
                         {"linger.ms", "5"},
                         {"message.timeout.ms", "20000"}});
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), acked);
  char err[256];
  Handle h(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), err, sizeof err), rd_kafka_destroy);
  EXPECT_NE(h, nullptr) << err;
  return h;
}

// Produces `count` records round-robin over `partitions`; returns them with the offsets the
// broker acknowledged (offset -1 where delivery failed).
std::vector<Record> produce(const std::string& bootstrap, const std::string& topic, int partitions,
                            int count, const std::string& acks, Random& rng) {
  std::vector<Record> records(static_cast<size_t>(count));
  auto producer = make_producer(bootstrap, acks, &records);
  const int64_t base_ts = 1'700'000'000'000 + static_cast<int64_t>(rng.uniform(1'000'000));
  for (int i = 0; i < count; ++i) {
    auto& r = records[static_cast<size_t>(i)];
    r.partition = i % partitions;
    r.key = "key-" + std::to_string(i);
    r.value = topic + "-" + acks + "-" + std::to_string(i) + "-" + std::to_string(rng.next_u64());
    r.header = "h" + std::to_string(i);
    r.timestamp = base_ts + i;
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "id", -1, r.header.data(), static_cast<ssize_t>(r.header.size()));
    const auto err = rd_kafka_producev(
        producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
        RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
        RD_KAFKA_V_VALUE(r.value.data(), r.value.size()), RD_KAFKA_V_TIMESTAMP(r.timestamp),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(new size_t(static_cast<size_t>(i))),
        RD_KAFKA_V_END);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  EXPECT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  return records;
}

// Consumes every partition from its beginning until `expected` records came back or nothing new
// arrives for `idle_ms`.
std::vector<Record> consume(const std::string& bootstrap, const std::string& topic, int partitions,
                            size_t expected, int64_t idle_ms = 3000) {
  auto conf = make_conf({{"bootstrap.servers", bootstrap},
                         {"group.id", "ferry-test-unused"},
                         {"enable.auto.commit", "false"},
                         {"enable.partition.eof", "false"}});
  char err[256];
  Handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.release(), err, sizeof err),
                  rd_kafka_destroy);
  EXPECT_NE(consumer, nullptr) << err;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(consumer.get(), list), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Record> out;
  auto last_progress = std::chrono::steady_clock::now();
  while (out.size() < expected &&
         std::chrono::steady_clock::now() - last_progress < std::chrono::milliseconds(idle_ms)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Record r;
      r.partition = m->partition;
      r.offset = m->offset;
      r.key.assign(static_cast<const char*>(m->key), m->key_len);
      r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      const void* hv = nullptr;
      size_t hs = 0;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "id", &hv, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        r.header.assign(static_cast<const char*>(hv), hs);
      }
      r.timestamp = rd_kafka_message_timestamp(m, nullptr);
      out.push_back(std::move(r));
      last_progress = std::chrono::steady_clock::now();
    } else {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

// The history checker. `must_have`: acknowledged records that must all come back. `may_have`:
// every record ever produced (the only ones allowed to come back).
void check_history(const std::vector<Record>& consumed, const std::vector<Record>& must_have,
                   const std::vector<Record>& may_have) {
  std::map<std::string, const Record*> produced;
  for (const auto& r : may_have)
    produced[r.value] = &r;
  std::set<std::string> seen;
  std::map<int32_t, int64_t> last_offset;
  std::map<int32_t, size_t> last_index;  // produce order within a partition
  for (const auto& c : consumed) {
    ASSERT_TRUE(seen.insert(c.value).second) << "duplicate record " << c.value;
    const auto it = produced.find(c.value);
    ASSERT_NE(it, produced.end()) << "phantom record " << c.value;
    const Record& p = *it->second;
    EXPECT_EQ(c.partition, p.partition) << c.value;
    EXPECT_EQ(c.key, p.key) << c.value;
    EXPECT_EQ(c.header, p.header) << c.value;
    EXPECT_EQ(c.timestamp, p.timestamp) << c.value;
    if (p.offset >= 0) {
      EXPECT_EQ(c.offset, p.offset) << "acknowledged offset of " << c.value;
    }
    if (last_offset.contains(c.partition)) {
      EXPECT_GT(c.offset, last_offset[c.partition]) << "offsets go back at " << c.value;
      EXPECT_GT(static_cast<size_t>(&p - may_have.data()), last_index[c.partition])
          << "reordered at " << c.value;
    }
    last_offset[c.partition] = c.offset;
    last_index[c.partition] = static_cast<size_t>(&p - may_have.data());
  }
  for (const auto& r : must_have) {
    if (r.offset >= 0) {
      EXPECT_TRUE(seen.contains(r.value)) << "lost acknowledged " << r.value;
    }
  }
}

size_t acked_count(const std::vector<Record>& records) {
  size_t n = 0;
  for (const auto& r : records)
    n += r.offset >= 0 ? 1 : 0;
  return n;
}

void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto conf = make_conf({{"bootstrap.servers", bootstrap}});
  char err[256];
  Handle admin(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), err, sizeof err), rd_kafka_destroy);
  rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
  rd_kafka_CreateTopics(admin.get(), &t, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20000);
  ASSERT_NE(event, nullptr) << "CreateTopics timed out";
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_topic_result_error_string(results[0]);
  rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(t);
}

class LibrdkafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ferryd_.start()) << "FERRYD=" << test::ferryd_binary();
    ASSERT_TRUE(ferryd_.wait_ready()) << ferryd_.output();
  }
  void restart(bool crash) {
    if (crash) {
      ferryd_.kill9();
    } else {
      ASSERT_EQ(ferryd_.stop(), 0) << ferryd_.output();
    }
    ASSERT_TRUE(ferryd_.start());
    ASSERT_TRUE(ferryd_.wait_ready()) << ferryd_.output();
  }
  FerrydProcess ferryd_;
  SeededRandom rng_{seed_from_env()};
};

TEST_F(LibrdkafkaTest, acks_all_records_survive_kill_9_and_come_back_once_in_order) {
  const std::string topic = "rdk-all";
  create_topic(ferryd_.bootstrap(), topic, 3);
  const auto produced = produce(ferryd_.bootstrap(), topic, 3, 300, "all", rng_);
  ASSERT_EQ(acked_count(produced), produced.size());
  restart(/*crash=*/true);
  const auto consumed = consume(ferryd_.bootstrap(), topic, 3, produced.size());
  EXPECT_EQ(consumed.size(), produced.size());
  check_history(consumed, produced, produced);
}

TEST_F(LibrdkafkaTest, acks_one_records_survive_a_graceful_restart) {
  const std::string topic = "rdk-one";
  create_topic(ferryd_.bootstrap(), topic, 2);
  const auto produced = produce(ferryd_.bootstrap(), topic, 2, 200, "1", rng_);
  ASSERT_EQ(acked_count(produced), produced.size());
  restart(/*crash=*/false);
  const auto consumed = consume(ferryd_.bootstrap(), topic, 2, produced.size());
  check_history(consumed, produced, produced);
  EXPECT_EQ(consumed.size(), produced.size());
}

TEST_F(LibrdkafkaTest, acks_zero_records_come_back_in_order_without_phantoms) {
  const std::string topic = "rdk-zero";
  create_topic(ferryd_.bootstrap(), topic, 2);
  auto produced = produce(ferryd_.bootstrap(), topic, 2, 200, "0", rng_);
  for (auto& r : produced)
    r.offset = -1;  // acks=0 acknowledges nothing about offsets
  const auto consumed = consume(ferryd_.bootstrap(), topic, 2, produced.size());
  check_history(consumed, {}, produced);
  EXPECT_EQ(consumed.size(), produced.size()) << "nothing is lost without a failure";
}

TEST_F(LibrdkafkaTest, seek_to_an_offset_reads_from_there) {
  const std::string topic = "rdk-seek";
  create_topic(ferryd_.bootstrap(), topic, 1);
  const auto produced = produce(ferryd_.bootstrap(), topic, 1, 50, "all", rng_);
  auto conf = make_conf({{"bootstrap.servers", ferryd_.bootstrap()},
                         {"group.id", "unused"},
                         {"enable.auto.commit", "false"}});
  char err[256];
  Handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.release(), err, sizeof err),
                  rd_kafka_destroy);
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = 40;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), list), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_message_t* m = nullptr;
  for (int i = 0; i < 50 && m == nullptr; ++i)
    m = rd_kafka_consumer_poll(consumer.get(), 200);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_message_errstr(m);
  EXPECT_EQ(m->offset, 40);
  EXPECT_EQ(std::string(static_cast<const char*>(m->payload), m->len), produced[40].value);
  rd_kafka_message_destroy(m);
  rd_kafka_consumer_close(consumer.get());
}

}  // namespace
}  // namespace ferry
