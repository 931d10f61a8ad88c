#include "tests/controller/raft/sim/sim_disk.h"

#include "common/assert.h"
#include "common/bytes.h"
#include "common/crc32c.h"

namespace ferry::raft::sim {

namespace {

constexpr uint8_t kReadyRecord = 1;
constexpr uint8_t kCompactionRecord = 2;

void put_data(ByteWriter& w, const Bytes& data) {
  w.u32(static_cast<uint32_t>(data.size()));
  w.bytes(ByteSpan(data));
}

Bytes get_data(ByteReader& r) {
  const uint32_t size = r.u32();
  ByteSpan span = r.bytes(size);
  return Bytes(span.begin(), span.end());
}

void put_snapshot(ByteWriter& w, const Snapshot& s) {
  w.i64(s.metadata.index.value());
  w.i64(s.metadata.term.value());
  w.u32(static_cast<uint32_t>(s.metadata.conf_state.voters.size()));
  for (NodeId voter : s.metadata.conf_state.voters)
    w.i32(voter.value());
  put_data(w, s.data);
}

Snapshot get_snapshot(ByteReader& r) {
  Snapshot s;
  s.metadata.index = LogIndex(r.i64());
  s.metadata.term = Term(r.i64());
  const uint32_t voters = r.u32();
  for (uint32_t i = 0; i < voters && r.ok(); ++i) {
    s.metadata.conf_state.voters.push_back(NodeId(r.i32()));
  }
  s.data = get_data(r);
  return s;
}

void put_entry(ByteWriter& w, const Entry& e) {
  w.i64(e.term.value());
  w.i64(e.index.value());
  w.u8(static_cast<uint8_t>(e.type));
  put_data(w, e.data);
}

Entry get_entry(ByteReader& r) {
  Entry e;
  e.term = Term(r.i64());
  e.index = LogIndex(r.i64());
  e.type = static_cast<EntryType>(r.u8());
  e.data = get_data(r);
  return e;
}

// Replays one payload into `storage`. Replays must succeed: the same operations succeeded live.
void replay(const Bytes& payload, MemoryStorage& storage) {
  ByteReader r{ByteSpan(payload)};
  const uint8_t kind = r.u8();
  if (kind == kReadyRecord) {
    if (r.u8() != 0) FERRY_ASSERT(storage.apply_snapshot(get_snapshot(r)).ok(), "replay snapshot");
    std::vector<Entry> entries(r.u32());
    for (Entry& e : entries)
      e = get_entry(r);
    FERRY_ASSERT(storage.append(entries).ok(), "replay append");
    if (r.u8() != 0) {
      HardState hs;
      hs.term = Term(r.i64());
      hs.vote = NodeId(r.i32());
      hs.commit = LogIndex(r.i64());
      storage.set_hard_state(hs);
    }
  } else {
    FERRY_ASSERT(kind == kCompactionRecord, "unknown record kind {}", kind);
    Snapshot s = get_snapshot(r);
    const LogIndex compact_index(r.i64());
    auto created = storage.create_snapshot(s.metadata.index, s.metadata.conf_state, s.data);
    FERRY_ASSERT(created.ok(), "replay snapshot creation: {}", created.error().to_string());
    FERRY_ASSERT(storage.compact(compact_index).ok(), "replay compaction");
  }
  FERRY_ASSERT(r.ok() && r.at_end(), "record payload does not parse");
}

}  // namespace

void SimDisk::append_record(const Bytes& payload, std::optional<LogIndex> commit) {
  Bytes record;
  ByteWriter w(record);
  w.u32(crc32c(ByteSpan(payload)));
  w.u32(static_cast<uint32_t>(payload.size()));
  w.bytes(ByteSpan(payload));
  records_.push_back(std::move(record));
  record_commit_.push_back(commit);
}

void SimDisk::write_ready(const Ready& ready, std::optional<HardState> hard_state) {
  Bytes payload;
  ByteWriter w(payload);
  w.u8(kReadyRecord);
  w.u8(ready.snapshot ? 1 : 0);
  if (ready.snapshot) put_snapshot(w, *ready.snapshot);
  w.u32(static_cast<uint32_t>(ready.entries.size()));
  for (const Entry& e : ready.entries)
    put_entry(w, e);
  w.u8(hard_state ? 1 : 0);
  if (hard_state) {
    w.i64(hard_state->term.value());
    w.i32(hard_state->vote.value());
    w.i64(hard_state->commit.value());
  }
  append_record(payload, hard_state ? std::optional<LogIndex>(hard_state->commit) : std::nullopt);
}

void SimDisk::write_compaction(const Snapshot& snapshot, LogIndex compact_index) {
  Bytes payload;
  ByteWriter w(payload);
  w.u8(kCompactionRecord);
  put_snapshot(w, snapshot);
  w.i64(compact_index.value());
  append_record(payload, std::nullopt);
}

void SimDisk::sync() {
  for (; synced_ < records_.size(); ++synced_) {
    if (record_commit_[synced_]) synced_commit_ = *record_commit_[synced_];
  }
}

CrashReport SimDisk::crash(Random& random, double torn_chance) {
  CrashReport report;
  const size_t unsynced = records_.size() - synced_;
  const size_t kept = unsynced == 0 ? 0 : static_cast<size_t>(random.uniform(unsynced + 1));
  report.unsynced_lost = unsynced - kept;
  records_.resize(synced_ + kept);
  record_commit_.resize(synced_ + kept);
  if (kept > 0 && random.chance(torn_chance)) {
    Bytes& last = records_.back();
    last.resize(static_cast<size_t>(random.uniform(last.size())));  // a strict prefix
    report.torn = true;
  }
  // What survived is the durable state now (recover() cuts off a torn tail).
  synced_ = records_.size();
  return report;
}

std::unique_ptr<MemoryStorage> SimDisk::recover() {
  auto storage = std::make_unique<MemoryStorage>();
  size_t valid = 0;
  for (; valid < records_.size(); ++valid) {
    ByteReader r{ByteSpan(records_[valid])};
    const uint32_t crc = r.u32();
    const uint32_t size = r.u32();
    ByteSpan payload = r.bytes(size);
    if (!r.ok() || crc32c(payload) != crc) break;  // torn: this and everything after is gone
    replay(Bytes(payload.begin(), payload.end()), *storage);
  }
  records_.resize(valid);
  record_commit_.resize(valid);
  synced_ = valid;
  return storage;
}

}  // namespace ferry::raft::sim
