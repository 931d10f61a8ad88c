// Bad input against a real ferryd: every malformed frame, unknown API, unsupported version,
// oversized request, corrupt batch, too-large batch, invalid topic or acks value gets a precise
// Kafka error (or, where Kafka does so, a closed connection), and the broker keeps serving.
#include <gtest/gtest.h>

#include "common/random.h"
#include "storage/record_batch_builder.h"
#include "tests/support/ferryd_process.h"
#include "tests/support/kafka_test_client.h"

namespace ferry {
namespace {

using broker::kafka::CreateTopicsRequest;
using broker::kafka::CreateTopicsResponse;
using broker::kafka::MetadataRequest;
using broker::kafka::MetadataResponse;
using broker::kafka::ProduceRequest;
using broker::kafka::ProduceResponse;
using test::FerrydProcess;
using test::KafkaTestClient;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ferryd_ = new FerrydProcess({"socket.request.max.bytes=1048576", "message.max.bytes=10000"});
    ASSERT_TRUE(ferryd_->start()) << "FERRYD=" << test::ferryd_binary();
    ASSERT_TRUE(ferryd_->wait_ready()) << ferryd_->output();
    create_topic("events", 1, {});
    create_topic("strict", 1, {{"min.insync.replicas", "2"}});
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(ferryd_->stop(), 0) << ferryd_->output();
    delete ferryd_;
  }
  void TearDown() override {
    // Whatever the test sent, the broker is alive and serving.
    ASSERT_TRUE(ferryd_->wait_ready(5000)) << ferryd_->output();
  }

  static void create_topic(const std::string& name, int32_t partitions,
                           std::vector<std::pair<std::string, std::string>> configs) {
    KafkaTestClient client(ferryd_->kafka_port());
    CreateTopicsRequest request;
    auto& t = request.topics.emplace_back();
    t.name = name;
    t.num_partitions = partitions;
    t.replication_factor = 1;
    for (auto& [k, v] : configs)
      t.configs.push_back({k, v, {}});
    auto response = client.call<CreateTopicsRequest, CreateTopicsResponse>(request, 7);
    ASSERT_TRUE(response.has_value());
    ASSERT_EQ(response->topics.at(0).error_code, 0)
        << response->topics.at(0).error_message.value_or("");
  }

  static ProduceRequest produce_request(const std::string& topic, Bytes batch, int16_t acks) {
    ProduceRequest request;
    request.acks = acks;
    request.timeout_ms = 10000;
    auto& t = request.topic_data.emplace_back();
    t.name = topic;
    auto& p = t.partition_data.emplace_back();
    p.index = 0;
    p.records = broker::kafka::Records::owned(std::move(batch));
    return request;
  }

  static ProduceResponse::PartitionProduceResponse produce(const ProduceRequest& request) {
    KafkaTestClient client(ferryd_->kafka_port());
    auto response = client.call<ProduceRequest, ProduceResponse>(request, 9);
    EXPECT_TRUE(response.has_value());
    if (!response) return {};
    return response->responses.at(0).partition_responses.at(0);
  }

  // The broker still serves: a fresh connection gets an ApiVersions answer.
  static bool still_serving() {
    KafkaTestClient client(ferryd_->kafka_port());
    broker::kafka::ApiVersionsRequest request;
    auto response =
        client.call<broker::kafka::ApiVersionsRequest, broker::kafka::ApiVersionsResponse>(request,
                                                                                           0);
    return response.has_value() && response->error_code == 0 && ferryd_->running();
  }

  static Bytes one_record_batch() {
    storage::RecordBatchBuilder b;
    b.add("k", "v", 1'700'000'000'000);
    return b.build();
  }

  static FerrydProcess* ferryd_;
};

FerrydProcess* BadInputTest::ferryd_ = nullptr;

TEST_F(BadInputTest, random_garbage_frames_close_the_connection_without_harm) {
  SeededRandom rng(seed_from_env());
  for (int i = 0; i < 50; ++i) {
    KafkaTestClient client(ferryd_->kafka_port(), 2000);
    Bytes garbage(8 + rng.uniform(200));
    for (auto& b : garbage)
      b = static_cast<uint8_t>(rng.next_u64());
    ASSERT_TRUE(client.tcp().send_frame(garbage));
    // Either an error answer (when the garbage happens to parse as a request, e.g. an
    // UNSUPPORTED_VERSION ApiVersions answer) or the connection closes; never silence.
    const bool answered = client.tcp().read_frame().has_value();
    EXPECT_TRUE(answered || client.tcp().closed_by_peer()) << "frame " << i;
  }
  EXPECT_TRUE(still_serving());
}

TEST_F(BadInputTest, truncated_frame_then_disconnect_is_harmless) {
  {
    KafkaTestClient client(ferryd_->kafka_port());
    ASSERT_TRUE(client.tcp().send_raw({0, 0, 0, 100, 0, 3, 0, 4}));  // 8 of 100 bytes, then gone
  }
  EXPECT_TRUE(still_serving());
}

TEST_F(BadInputTest, unknown_api_key_closes_the_connection) {
  KafkaTestClient client(ferryd_->kafka_port());
  ASSERT_TRUE(client.tcp().send_frame({0x7F, 0x00, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF}));
  EXPECT_TRUE(client.tcp().closed_by_peer());
}

TEST_F(BadInputTest, too_new_api_versions_gets_unsupported_version_with_the_supported_range) {
  KafkaTestClient client(ferryd_->kafka_port());
  // ApiVersions v99, header v2 shape.
  ASSERT_TRUE(client.tcp().send_frame({0, 18, 0, 99, 0, 0, 0, 7, 0xFF, 0xFF, 0}));
  auto frame = client.tcp().read_frame();
  ASSERT_TRUE(frame.has_value());
  broker::kafka::Reader r(*frame);
  ASSERT_EQ(broker::kafka::read_response_header(r, 0), 7);
  broker::kafka::ApiVersionsResponse response;
  response.decode(r, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(response.error_code, to_int(ErrorCode::UNSUPPORTED_VERSION));
  bool has_api_versions = false;
  for (const auto& k : response.api_keys) {
    if (k.api_key == 18) has_api_versions = k.min_version == 0 && k.max_version == 3;
  }
  EXPECT_TRUE(has_api_versions);
}

TEST_F(BadInputTest, produce_beyond_the_advertised_range_closes_the_connection) {
  KafkaTestClient client(ferryd_->kafka_port());
  // Produce v12 (we serve up to 11): header v2.
  ASSERT_TRUE(client.tcp().send_frame({0, 0, 0, 12, 0, 0, 0, 1, 0xFF, 0xFF, 0}));
  EXPECT_TRUE(client.tcp().closed_by_peer());
}

TEST_F(BadInputTest, produce_v0_to_v2_is_answered_unsupported_version_per_partition) {
  KafkaTestClient client(ferryd_->kafka_port());
  for (int16_t version : {0, 1, 2}) {
    auto response = client.call<ProduceRequest, ProduceResponse>(
        produce_request("events", one_record_batch(), 1), version);
    ASSERT_TRUE(response.has_value()) << "v" << version;
    EXPECT_EQ(response->responses.at(0).partition_responses.at(0).error_code,
              to_int(ErrorCode::UNSUPPORTED_VERSION));
  }
}

TEST_F(BadInputTest, malformed_body_closes_the_connection) {
  KafkaTestClient client(ferryd_->kafka_port());
  // Metadata v1 whose topic array claims 1000 entries but carries none.
  ASSERT_TRUE(client.tcp().send_frame({0, 3, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0, 0x03, 0xE8}));
  EXPECT_TRUE(client.tcp().closed_by_peer());
}

TEST_F(BadInputTest, oversized_request_closes_the_connection) {
  KafkaTestClient client(ferryd_->kafka_port());
  ASSERT_TRUE(client.tcp().send_raw({0x00, 0x20, 0x00, 0x00}));  // 2 MiB > 1 MiB limit
  EXPECT_TRUE(client.tcp().closed_by_peer());
}

TEST_F(BadInputTest, corrupt_crc_is_corrupt_message) {
  Bytes batch = one_record_batch();
  batch.back() ^= 0xFF;
  const auto out = produce(produce_request("events", batch, 1));
  EXPECT_EQ(out.error_code, to_int(ErrorCode::CORRUPT_MESSAGE));
  EXPECT_NE(out.error_message.value_or("").find("CRC"), std::string::npos)
      << out.error_message.value_or("");
}

TEST_F(BadInputTest, batch_larger_than_max_message_bytes_is_message_too_large) {
  const auto out = produce(produce_request("events", storage::make_batch(1, 20000, 1), 1));
  EXPECT_EQ(out.error_code, to_int(ErrorCode::MESSAGE_TOO_LARGE));
}

TEST_F(BadInputTest, invalid_acks_is_invalid_required_acks) {
  const auto out = produce(produce_request("events", one_record_batch(), 2));
  EXPECT_EQ(out.error_code, to_int(ErrorCode::INVALID_REQUIRED_ACKS));
}

TEST_F(BadInputTest, invalid_topic_names_are_invalid_topic_exception_everywhere) {
  const auto produced = produce(produce_request("bad topic!", one_record_batch(), 1));
  EXPECT_EQ(produced.error_code, to_int(ErrorCode::INVALID_TOPIC_EXCEPTION));

  KafkaTestClient client(ferryd_->kafka_port());
  MetadataRequest metadata;
  metadata.topics.emplace().emplace_back().name = std::string(250, 'x');
  auto m = client.call<MetadataRequest, MetadataResponse>(metadata, 9);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->topics.at(0).error_code, to_int(ErrorCode::INVALID_TOPIC_EXCEPTION));

  CreateTopicsRequest create;
  auto& t = create.topics.emplace_back();
  t.name = "..";
  t.num_partitions = 1;
  t.replication_factor = 1;
  auto c = client.call<CreateTopicsRequest, CreateTopicsResponse>(create, 5);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->topics.at(0).error_code, to_int(ErrorCode::INVALID_TOPIC_EXCEPTION));
  EXPECT_TRUE(c->topics.at(0).error_message.has_value());
}

TEST_F(BadInputTest, acks_all_below_min_insync_replicas_is_not_enough_replicas) {
  const auto all = produce(produce_request("strict", one_record_batch(), -1));
  EXPECT_EQ(all.error_code, to_int(ErrorCode::NOT_ENOUGH_REPLICAS));
  const auto one = produce(produce_request("strict", one_record_batch(), 1));
  EXPECT_EQ(one.error_code, 0) << "acks=1 does not need the ISR";
}

TEST_F(BadInputTest, unknown_topic_is_unknown_topic_or_partition) {
  const auto out = produce(produce_request("never-created", one_record_batch(), 1));
  EXPECT_EQ(out.error_code, to_int(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
}

TEST_F(BadInputTest, fetch_outside_the_log_is_offset_out_of_range) {
  KafkaTestClient client(ferryd_->kafka_port());
  broker::kafka::FetchRequest request;
  request.max_wait_ms = 0;
  auto& t = request.topics.emplace_back();
  t.topic = "events";
  auto& p = t.partitions.emplace_back();
  p.partition = 0;
  p.fetch_offset = 1'000'000;
  p.partition_max_bytes = 1 << 20;
  auto response =
      client.call<broker::kafka::FetchRequest, broker::kafka::FetchResponse>(request, 11);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->responses.at(0).partitions.at(0).error_code,
            to_int(ErrorCode::OFFSET_OUT_OF_RANGE));
}

}  // namespace
}  // namespace ferry
