// Test helper: builds metadata images by applying records through the real state machine, the
// way the controller does (one batch per log offset).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "controller/metadata/commands.h"
#include "controller/metadata/state_machine.h"

namespace ferry {
// gtest prints error codes by name.
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << error_name(code);
}
}  // namespace ferry

namespace ferry::controller::metadata::test {

class ImageFixture : public ::testing::Test {
 protected:
  // Applies `records` as the next log entry; fails the test if the state machine refuses.
  void apply(const Records& records) {
    Status s = builder_.apply(builder_.current().offset + 1, records);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  const MetadataImage& image() const { return builder_.current(); }
  LogIndex next_offset() const { return builder_.current().offset + 1; }

  void add_broker(int32_t id, bool fenced = false, std::optional<std::string> rack = std::nullopt) {
    BrokerRegistration b;
    b.id = NodeId(id);
    b.epoch = BrokerEpoch(next_offset().value());
    b.incarnation_id = Uuid::random(random_);
    b.endpoints = {Endpoint{"PLAINTEXT", "127.0.0.1", 9000 + id}};
    b.rack = std::move(rack);
    b.fenced = fenced;
    apply({make_register_broker(b)});
  }

  // Creates a topic through the real command; asserts success.
  const TopicImage& create_topic(const std::string& name, int32_t partitions, int16_t rf) {
    controller::CreateTopicSpec spec;
    spec.name = name;
    spec.num_partitions = partitions;
    spec.replication_factor = rf;
    auto planned = plan_create_topics(image(), {spec}, false, config_, random_);
    EXPECT_EQ(planned.reply.at(0).error, ErrorCode::NONE) << planned.reply.at(0).message;
    apply(planned.records);
    return *image().topic(name);
  }

  // Creates a topic with an explicit assignment (partition i -> replicas[i]).
  const TopicImage& create_assigned(const std::string& name,
                                    const std::vector<std::vector<int32_t>>& replicas) {
    controller::CreateTopicSpec spec;
    spec.name = name;
    for (size_t p = 0; p < replicas.size(); ++p) {
      for (int32_t r : replicas[p])
        spec.assignments[static_cast<int32_t>(p)].push_back(NodeId(r));
    }
    auto planned = plan_create_topics(image(), {spec}, false, config_, random_);
    EXPECT_EQ(planned.reply.at(0).error, ErrorCode::NONE) << planned.reply.at(0).message;
    apply(planned.records);
    return *image().topic(name);
  }

  const PartitionRegistration& partition(const std::string& topic, int32_t p) const {
    return image().topic(topic)->partitions.at(static_cast<size_t>(p));
  }

  static std::vector<NodeId> nodes(std::initializer_list<int32_t> ids) {
    std::vector<NodeId> out;
    for (int32_t id : ids)
      out.emplace_back(id);
    return out;
  }

  SeededRandom random_{seed_from_env()};
  CommandConfig config_;
  MetadataBuilder builder_;
};

}  // namespace ferry::controller::metadata::test
