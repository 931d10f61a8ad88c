#include "controller/metadata/placement.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/controller/metadata/image_fixture.h"

namespace ferry::controller::metadata::test {
namespace {

class PlacementTest : public ImageFixture {};

TEST_F(PlacementTest, every_partition_gets_distinct_usable_brokers) {
  for (int id = 1; id <= 5; ++id)
    add_broker(id);
  auto placed = place_replicas(image(), 50, 3, random_);
  ASSERT_TRUE(placed.ok()) << placed.error().to_string();
  ASSERT_EQ(placed->size(), 50u);
  for (const auto& replicas : *placed) {
    ASSERT_EQ(replicas.size(), 3u);
    EXPECT_EQ(std::set<NodeId>(replicas.begin(), replicas.end()).size(), 3u);
  }
}

TEST_F(PlacementTest, leaders_and_replicas_are_spread_evenly) {
  for (int id = 1; id <= 4; ++id)
    add_broker(id);
  auto placed = place_replicas(image(), 40, 2, random_);
  ASSERT_TRUE(placed.ok());
  std::map<NodeId, int> leaders;
  std::map<NodeId, int> replicas;
  for (const auto& r : *placed) {
    ++leaders[r.front()];
    for (NodeId id : r)
      ++replicas[id];
  }
  for (int id = 1; id <= 4; ++id) {
    EXPECT_EQ(leaders[NodeId(id)], 10) << "broker " << id;
    EXPECT_EQ(replicas[NodeId(id)], 20) << "broker " << id;
  }
}

TEST_F(PlacementTest, replicas_of_a_partition_land_in_different_racks) {
  add_broker(1, false, "a");
  add_broker(2, false, "a");
  add_broker(3, false, "b");
  add_broker(4, false, "b");
  add_broker(5, false, "c");
  add_broker(6, false, "c");
  std::map<NodeId, std::string> rack_of;
  for (const auto& [id, b] : image().brokers)
    rack_of[id] = *b.rack;
  auto placed = place_replicas(image(), 30, 3, random_);
  ASSERT_TRUE(placed.ok());
  for (const auto& r : *placed) {
    std::set<std::string> racks;
    for (NodeId id : r)
      racks.insert(rack_of[id]);
    EXPECT_EQ(racks.size(), 3u);
  }
}

TEST_F(PlacementTest, fenced_brokers_receive_no_replicas) {
  add_broker(1);
  add_broker(2, /*fenced=*/true);
  add_broker(3);
  auto placed = place_replicas(image(), 20, 2, random_);
  ASSERT_TRUE(placed.ok());
  for (const auto& r : *placed) {
    for (NodeId id : r)
      EXPECT_NE(id, NodeId(2));
  }
}

TEST_F(PlacementTest, the_same_seed_gives_the_same_placement) {
  for (int id = 1; id <= 5; ++id)
    add_broker(id);
  SeededRandom a(42);
  SeededRandom b(42);
  auto first = place_replicas(image(), 12, 3, a);
  auto second = place_replicas(image(), 12, 3, b);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST_F(PlacementTest, impossible_replication_factors_use_kafkas_messages) {
  add_broker(1);
  add_broker(2);
  auto too_many = place_replicas(image(), 1, 3, random_);
  EXPECT_EQ(too_many.code(), ErrorCode::INVALID_REPLICATION_FACTOR);
  EXPECT_EQ(too_many.error().message(),
            "The target replication factor of 3 cannot be reached because only 2 broker(s) are "
            "registered.");
  EXPECT_EQ(place_replicas(image(), 1, 0, random_).error().message(),
            "Invalid replication factor 0: the replication factor must be positive.");
}

TEST_F(PlacementTest, fenced_brokers_do_not_count_towards_the_replication_factor) {
  add_broker(1, true);
  add_broker(2, true);
  EXPECT_EQ(place_replicas(image(), 1, 1, random_).error().message(),
            "All brokers are currently fenced.");
  add_broker(3);
  EXPECT_EQ(place_replicas(image(), 1, 2, random_).error().message(),
            "The target replication factor of 2 cannot be reached because only 1 broker(s) are "
            "registered and unfenced.");
}

}  // namespace
}  // namespace ferry::controller::metadata::test
