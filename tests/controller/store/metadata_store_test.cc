#include "controller/store/metadata_store.h"

#include <gtest/gtest.h>

#include "common/random.h"
#include "controller/metadata/records.h"
#include "tests/support/temp_dir.h"

namespace ferry::controller {
namespace {

raft::Entry entry(int64_t term, int64_t index, std::string data = "x") {
  raft::Entry e;
  e.term = Term(term);
  e.index = LogIndex(index);
  e.data.assign(data.begin(), data.end());
  return e;
}

class MetadataStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<MetadataStore> open() {
    auto store = MetadataStore::open(dir_.path().string(), NodeId(1));
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return std::move(store).value();
  }
  test::TempDir dir_;
};

TEST_F(MetadataStoreTest, entries_and_hard_state_survive_a_reopen) {
  {
    auto store = open();
    ASSERT_TRUE(store
                    ->persist(std::nullopt, {entry(1, 1), entry(1, 2), entry(2, 3, "three")},
                              raft::HardState{Term(2), NodeId(3), LogIndex(2)}, true)
                    .ok());
  }
  auto store = open();
  EXPECT_EQ(store->first_index(), LogIndex(1));
  EXPECT_EQ(store->last_index(), LogIndex(3));
  EXPECT_EQ(*store->term(LogIndex(3)), Term(2));
  EXPECT_EQ(*store->term(LogIndex(0)), Term(0));
  auto init = store->initial_state();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->hard_state, (raft::HardState{Term(2), NodeId(3), LogIndex(2)}));
  auto entries = store->entries(LogIndex(2), LogIndex(4), UINT64_MAX);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1], entry(2, 3, "three"));
}

TEST_F(MetadataStoreTest, conflicting_entries_replace_the_tail) {
  auto store = open();
  ASSERT_TRUE(
      store->persist(std::nullopt, {entry(1, 1), entry(1, 2), entry(1, 3)}, std::nullopt, true)
          .ok());
  ASSERT_TRUE(store->persist(std::nullopt, {entry(2, 2)}, std::nullopt, true).ok());
  EXPECT_EQ(store->last_index(), LogIndex(2));
  EXPECT_EQ(*store->term(LogIndex(2)), Term(2));
  store.reset();
  EXPECT_EQ(open()->last_index(), LogIndex(2));
}

TEST_F(MetadataStoreTest, entries_stop_at_max_bytes_but_return_at_least_one) {
  auto store = open();
  ASSERT_TRUE(
      store
          ->persist(std::nullopt,
                    {entry(1, 1, std::string(100, 'a')), entry(1, 2, std::string(100, 'b'))},
                    std::nullopt, true)
          .ok());
  EXPECT_EQ(store->entries(LogIndex(1), LogIndex(3), 1)->size(), 1u);
  EXPECT_EQ(store->entries(LogIndex(1), LogIndex(3), 1000)->size(), 2u);
}

TEST_F(MetadataStoreTest, compaction_keeps_the_term_of_the_log_start_and_refuses_older_reads) {
  {
    auto store = open();
    ASSERT_TRUE(store
                    ->persist(std::nullopt,
                              {entry(1, 1), entry(1, 2), entry(2, 3), entry(2, 4), entry(3, 5)},
                              std::nullopt, true)
                    .ok());
    raft::Snapshot snap{{LogIndex(4), Term(2), raft::make_conf_state({NodeId(1)})}, Bytes{1, 2}};
    ASSERT_TRUE(store->save_snapshot(snap, LogIndex(3)).ok());
  }
  auto store = open();
  EXPECT_EQ(store->first_index(), LogIndex(4));
  EXPECT_EQ(*store->term(LogIndex(3)), Term(2));
  EXPECT_EQ(store->term(LogIndex(2)).code(), raft::kCompactedError);
  EXPECT_EQ(store->entries(LogIndex(3), LogIndex(5), UINT64_MAX).code(), raft::kCompactedError);
  EXPECT_EQ(store->snapshot_index(), LogIndex(4));
  EXPECT_EQ(store->initial_state()->snapshot.index, LogIndex(4));
  EXPECT_EQ(store->snapshot()->data, (Bytes{1, 2}));
}

TEST_F(MetadataStoreTest, an_installed_snapshot_replaces_the_whole_log) {
  auto store = open();
  ASSERT_TRUE(store->persist(std::nullopt, {entry(1, 1), entry(1, 2)}, std::nullopt, true).ok());
  raft::Snapshot snap{{LogIndex(10), Term(4), raft::make_conf_state({NodeId(1)})}, Bytes{9}};
  ASSERT_TRUE(store->persist(snap, {entry(4, 11)}, std::nullopt, true).ok());
  EXPECT_EQ(store->first_index(), LogIndex(11));
  EXPECT_EQ(store->last_index(), LogIndex(11));
  EXPECT_EQ(*store->term(LogIndex(10)), Term(4));
  auto reopened_first = [&] { return open()->first_index(); };
  store.reset();
  EXPECT_EQ(reopened_first(), LogIndex(11));
}

TEST_F(MetadataStoreTest, the_metadata_state_round_trips_with_its_applied_offset) {
  metadata::MetadataBuilder builder;
  metadata::BrokerRegistration b;
  b.id = NodeId(1);
  b.epoch = BrokerEpoch(1);
  b.incarnation_id.bytes[0] = 7;
  b.fenced = false;
  SeededRandom random(1);
  const Uuid keep = Uuid::random(random);
  const Uuid gone = Uuid::random(random);
  metadata::PartitionRegistration p;
  p.replicas = p.isr = {NodeId(1)};
  p.leader = NodeId(1);
  ASSERT_TRUE(builder
                  .apply(LogIndex(1), metadata::Records{metadata::make_register_broker(b),
                                                        metadata::make_topic(keep, "keep"),
                                                        metadata::make_partition(keep, 0, p),
                                                        metadata::make_topic(gone, "gone"),
                                                        metadata::make_cluster_id("cid")})
                  .ok());
  {
    auto store = open();
    ASSERT_TRUE(store->save_state(builder.current(), builder.take_changes()).ok());
    ASSERT_TRUE(
        builder.apply(LogIndex(2), metadata::Records{metadata::make_remove_topic(gone)}).ok());
    ASSERT_TRUE(store->save_state(builder.current(), builder.take_changes()).ok());
  }
  auto state = open()->load_state();
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(state->image.offset, LogIndex(2));
  EXPECT_EQ(state->image.cluster_id, "cid");
  EXPECT_EQ(state->image.brokers, builder.current().brokers);
  EXPECT_EQ(state->image.topic_ids.size(), 1u);
  EXPECT_EQ(*state->image.topic("keep"), *builder.current().topic("keep"));
}

TEST_F(MetadataStoreTest, a_directory_of_another_node_is_refused) {
  open();
  auto other = MetadataStore::open(dir_.path().string(), NodeId(2));
  EXPECT_EQ(other.code(), ErrorCode::INVALID_CONFIG);
}

}  // namespace
}  // namespace ferry::controller
