// CommandPipeline: the speculative image and commands waiting for the leader no-op
// (controller/quorum/command_pipeline.h).
#include "controller/quorum/command_pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controller/metadata/records.h"

namespace ferry::controller {
namespace {

Uuid uuid(uint8_t last) {
  Uuid u;
  u.bytes[15] = last;
  return u;
}

metadata::MetadataBuilder committed_at(LogIndex offset) {
  metadata::MetadataBuilder b;
  EXPECT_TRUE(b.apply(offset, metadata::Records{metadata::make_cluster_id("c1")}).ok());
  return b;
}

TEST(CommandPipeline, commands_before_the_leader_no_op_wait_and_run_in_arrival_order) {
  CommandPipeline p;
  std::vector<std::string> ran;
  EXPECT_FALSE(p.open());
  p.defer([&] { ran.push_back("a"); });
  p.defer([&] { ran.push_back("b"); });
  EXPECT_EQ(p.deferred(), 2u);
  auto committed = committed_at(LogIndex(7));
  for (auto& c : p.open_at(committed))
    c();
  EXPECT_EQ(ran, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p.open());
  EXPECT_EQ(p.deferred(), 0u);
  EXPECT_EQ(p.image().offset, LogIndex(7));
  EXPECT_EQ(p.image().cluster_id, "c1");
}

TEST(CommandPipeline, the_next_command_sees_what_the_last_one_proposed_but_committed_does_not) {
  CommandPipeline p;
  auto committed = committed_at(LogIndex(3));
  EXPECT_TRUE(p.open_at(committed).empty());
  const Uuid id = uuid(2);
  p.proposed(LogIndex(4), metadata::Records{metadata::make_topic(id, "orders")});
  ASSERT_NE(p.image().topic("orders"), nullptr);
  EXPECT_EQ(p.image().offset, LogIndex(4));
  EXPECT_EQ(committed.current().topic("orders"), nullptr);
  // A barrier may reply only once the commit catches up with what it observed.
  EXPECT_FALSE(p.settled(committed.current().offset));
  EXPECT_TRUE(p.settled(LogIndex(4)));
}

TEST(CommandPipeline, losing_leadership_drops_the_speculative_image_and_hands_back_waiters) {
  CommandPipeline p;
  auto committed = committed_at(LogIndex(2));
  EXPECT_TRUE(p.open_at(committed).empty());
  p.proposed(LogIndex(3), metadata::Records{metadata::make_topic(uuid(3), "x")});
  int ran = 0;
  for (auto& c : p.close())
    c();
  EXPECT_FALSE(p.open());
  p.defer([&] { ++ran; });
  for (auto& c : p.close())
    c();
  EXPECT_EQ(ran, 1);
  // Reopened (a later term): from the committed image, without the lost proposal.
  EXPECT_TRUE(p.open_at(committed).empty());
  EXPECT_EQ(p.image().topic("x"), nullptr);
  EXPECT_EQ(p.image().offset, LogIndex(2));
}

TEST(CommandPipelineDeathTest, a_proposal_that_does_not_follow_the_speculative_image_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  CommandPipeline p;
  auto committed = committed_at(LogIndex(2));
  EXPECT_TRUE(p.open_at(committed).empty());
  EXPECT_DEATH(p.proposed(LogIndex(5), metadata::Records{metadata::make_cluster_id("c2")}),
               "proposal landed at 5 but the speculative image is at 2");
}

}  // namespace
}  // namespace ferry::controller
