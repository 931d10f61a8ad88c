#include "controller/store/metadata_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "common/bytes.h"
#include "common/log.h"
#include "controller/metadata/records.h"

namespace ferry::controller {

namespace {

constexpr uint8_t kVersion = 1;
constexpr char kFormatKey[] = "F";
constexpr char kHardStateKey[] = "H";
constexpr char kLogStartKey[] = "L";
constexpr char kSnapshotKey[] = "S";
constexpr char kAppliedKey[] = "A";
constexpr char kClusterKey[] = "C";
constexpr char kEntryTag = 'E';
constexpr char kBrokerTag = 'B';
constexpr char kTopicTag = 'T';

Error storage_error(const rocksdb::Status& s, std::string_view what) {
  return Error(ErrorCode::KAFKA_STORAGE_ERROR, fmt::format("{}: {}", what, s.ToString()));
}

Error corrupt(std::string message) {
  return Error(ErrorCode::KAFKA_STORAGE_ERROR, "metadata store corrupt: " + std::move(message));
}

std::string entry_key(LogIndex index) {
  std::string key(9, '\0');
  key[0] = kEntryTag;
  store_be64(reinterpret_cast<uint8_t*>(key.data() + 1), static_cast<uint64_t>(index.value()));
  return key;
}

std::string broker_key(NodeId id) {
  std::string key(5, '\0');
  key[0] = kBrokerTag;
  store_be32(reinterpret_cast<uint8_t*>(key.data() + 1), static_cast<uint32_t>(id.value()));
  return key;
}

std::string topic_key(const Uuid& id) {
  return std::string(1, kTopicTag) + metadata::uuid_to_bytes(id);
}

std::string to_string(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

ByteSpan span_of(const rocksdb::Slice& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string encode_entry(const raft::Entry& e) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(e.type));
  w.i64(e.term.value());
  w.bytes(ByteSpan(e.data));
  return to_string(out);
}

Result<raft::Entry> decode_entry(LogIndex index, const rocksdb::Slice& value) {
  ByteReader r(span_of(value));
  raft::Entry e;
  e.index = index;
  const uint8_t version = r.u8();
  e.type = static_cast<raft::EntryType>(r.u8());
  e.term = Term(r.i64());
  if (!r.ok() || version != kVersion) return corrupt(fmt::format("entry {} is unreadable", index));
  const ByteSpan data = r.bytes(r.remaining());
  e.data.assign(data.begin(), data.end());
  return e;
}

std::string encode_hard_state(const raft::HardState& hs) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kVersion);
  w.i64(hs.term.value());
  w.i32(hs.vote.value());
  w.i64(hs.commit.value());
  return to_string(out);
}

std::string encode_log_start(LogIndex index, Term term) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kVersion);
  w.i64(index.value());
  w.i64(term.value());
  return to_string(out);
}

std::string encode_snapshot(const raft::Snapshot& s) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kVersion);
  w.i64(s.metadata.index.value());
  w.i64(s.metadata.term.value());
  w.u32(static_cast<uint32_t>(s.metadata.conf_state.voters.size()));
  for (NodeId v : s.metadata.conf_state.voters)
    w.i32(v.value());
  w.bytes(ByteSpan(s.data));
  return to_string(out);
}

Result<raft::Snapshot> decode_snapshot(const std::string& value) {
  ByteReader r(as_bytes(value));
  raft::Snapshot s;
  const uint8_t version = r.u8();
  s.metadata.index = LogIndex(r.i64());
  s.metadata.term = Term(r.i64());
  const uint32_t n = r.u32();
  if (!r.ok() || version != kVersion || n > r.remaining() / 4) {
    return corrupt("the snapshot record is unreadable");
  }
  std::vector<NodeId> voters;
  for (uint32_t i = 0; i < n; ++i)
    voters.emplace_back(r.i32());
  s.metadata.conf_state = raft::make_conf_state(std::move(voters));
  const ByteSpan data = r.bytes(r.remaining());
  s.data.assign(data.begin(), data.end());
  return s;
}

std::string encode_records(const metadata::Records& records) {
  return to_string(metadata::encode_batch(records));
}

}  // namespace

MetadataStore::MetadataStore(std::string dir, std::unique_ptr<rocksdb::DB> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

MetadataStore::~MetadataStore() = default;

Result<std::unique_ptr<MetadataStore>> MetadataStore::open(const std::string& dir, NodeId node) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("cannot create metadata.log.dir {}: {}", dir, ec.message()));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 256;
  options.keep_log_file_num = 3;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return storage_error(s, fmt::format("opening the metadata store in {}", dir));
  std::unique_ptr<MetadataStore> store(new MetadataStore(dir, std::unique_ptr<rocksdb::DB>(raw)));
  FERRY_TRY(store->load(node));
  return store;
}

Status MetadataStore::write(void* batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status s = db_->Write(options, static_cast<rocksdb::WriteBatch*>(batch));
  if (!s.ok()) return storage_error(s, "writing the metadata store");
  return ok_status();
}

Status MetadataStore::load(NodeId node) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (s.IsNotFound()) {
    Bytes out;
    ByteWriter w(out);
    w.u8(kVersion);
    w.i32(node.value());
    rocksdb::WriteBatch batch;
    batch.Put(kFormatKey, to_string(out));
    FERRY_TRY(write(&batch, true));
  } else if (!s.ok()) {
    return storage_error(s, "reading the format record");
  } else {
    ByteReader r(as_bytes(value));
    const uint8_t version = r.u8();
    const NodeId owner(r.i32());
    if (!r.ok() || version != kVersion) return corrupt("unknown format record");
    if (owner != node) {
      return Error(
          ErrorCode::INVALID_CONFIG,
          fmt::format("metadata.log.dir {} belongs to node {}, not node.id {}", dir_, owner, node));
    }
  }
  s = db_->Get(rocksdb::ReadOptions(), kHardStateKey, &value);
  if (s.ok()) {
    ByteReader r(as_bytes(value));
    const uint8_t version = r.u8();
    hard_state_.term = Term(r.i64());
    hard_state_.vote = NodeId(r.i32());
    hard_state_.commit = LogIndex(r.i64());
    if (!r.ok() || version != kVersion) return corrupt("the hard state is unreadable");
  } else if (!s.IsNotFound()) {
    return storage_error(s, "reading the hard state");
  }
  return load_log();
}

Status MetadataStore::load_log() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kLogStartKey, &value);
  if (s.ok()) {
    ByteReader r(as_bytes(value));
    const uint8_t version = r.u8();
    compacted_index_ = LogIndex(r.i64());
    compacted_term_ = Term(r.i64());
    if (!r.ok() || version != kVersion) return corrupt("the log start is unreadable");
  } else if (!s.IsNotFound()) {
    return storage_error(s, "reading the log start");
  }
  s = db_->Get(rocksdb::ReadOptions(), kSnapshotKey, &value);
  if (s.ok()) {
    FERRY_ASSIGN_OR_RETURN(raft::Snapshot snap, decode_snapshot(value));
    stored_snapshot_ = snap.metadata;
  } else if (!s.IsNotFound()) {
    return storage_error(s, "reading the snapshot");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  LogIndex expected = compacted_index_ + 1;
  for (it->Seek(entry_key(expected)); it->Valid() && it->key()[0] == kEntryTag; it->Next()) {
    const LogIndex index(static_cast<int64_t>(load_be64(span_of(it->key()).data() + 1)));
    if (index != expected) {
      return corrupt(fmt::format("log entry {} follows a gap (expected {})", index, expected));
    }
    FERRY_ASSIGN_OR_RETURN(raft::Entry e, decode_entry(index, it->value()));
    terms_.push_back(e.term);
    ++expected;
  }
  if (!it->status().ok()) return storage_error(it->status(), "scanning the log");
  logger("controller")
      ->info("metadata store {}: log [{}, {}] snapshot {} term {} vote {} commit {}", dir_,
             first_index(), last_index(), stored_snapshot_.index, hard_state_.term,
             hard_state_.vote, hard_state_.commit);
  return ok_status();
}

// ---- LogStorage ---------------------------------------------------------------------------------

Result<raft::InitialState> MetadataStore::initial_state() const {
  return raft::InitialState{hard_state_, stored_snapshot_};
}

Result<Term> MetadataStore::term(LogIndex index) const {
  if (index < compacted_index_) {
    return Error(raft::kCompactedError, fmt::format("entry {} is compacted", index));
  }
  if (index == compacted_index_) return compacted_term_;
  if (index > last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("entry {} is past the log end {}", index, last_index()));
  }
  return terms_[static_cast<size_t>(index - first_index())];
}

Result<std::vector<raft::Entry>> MetadataStore::entries(LogIndex lo, LogIndex hi,
                                                        uint64_t max_bytes) const {
  if (lo < first_index()) {
    return Error(raft::kCompactedError, fmt::format("entry {} is compacted", lo));
  }
  if (hi > last_index() + 1 || lo > hi) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("entries [{}, {}) outside the log [{}, {}]", lo, hi, first_index(),
                             last_index()));
  }
  std::vector<raft::Entry> out;
  uint64_t bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  LogIndex index = lo;
  for (it->Seek(entry_key(lo)); index < hi; it->Next(), ++index) {
    if (!it->Valid() || it->key() != rocksdb::Slice(entry_key(index))) {
      if (!it->status().ok()) return storage_error(it->status(), "reading the log");
      return corrupt(fmt::format("log entry {} is missing", index));
    }
    FERRY_ASSIGN_OR_RETURN(raft::Entry e, decode_entry(index, it->value()));
    bytes += raft::entry_size_bytes(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(std::move(e));
  }
  return out;
}

Result<raft::Snapshot> MetadataStore::snapshot() const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kSnapshotKey, &value);
  if (s.IsNotFound()) return raft::Snapshot{};
  if (!s.ok()) return storage_error(s, "reading the snapshot");
  return decode_snapshot(value);
}

// ---- Persisting Readies -------------------------------------------------------------------------

Status MetadataStore::persist(const std::optional<raft::Snapshot>& snapshot,
                              const std::vector<raft::Entry>& entries,
                              const std::optional<raft::HardState>& hard_state, bool sync) {
  rocksdb::WriteBatch batch;
  LogIndex new_compacted = compacted_index_;
  Term new_compacted_term = compacted_term_;
  if (snapshot) {
    batch.DeleteRange(entry_key(LogIndex(0)), entry_key(LogIndex::max()));
    batch.Put(kSnapshotKey, encode_snapshot(*snapshot));
    new_compacted = snapshot->metadata.index;
    new_compacted_term = snapshot->metadata.term;
    batch.Put(kLogStartKey, encode_log_start(new_compacted, new_compacted_term));
  }
  if (!entries.empty()) {
    const LogIndex from = entries.front().index;
    FERRY_ASSERT(from > new_compacted, "persisting entry {} at or below the log start {}", from,
                 new_compacted);
    const LogIndex end = snapshot ? new_compacted : last_index();
    FERRY_ASSERT(from <= end + 1, "persisting entry {} leaves a gap after {}", from, end);
    if (from <= end) batch.DeleteRange(entry_key(from), entry_key(end + 1));
    for (const auto& e : entries)
      batch.Put(entry_key(e.index), encode_entry(e));
  }
  if (hard_state) batch.Put(kHardStateKey, encode_hard_state(*hard_state));
  FERRY_TRY(write(&batch, sync));
  // The batch is durable (or in the WAL): mirror it in memory.
  if (snapshot) {
    terms_.clear();
    compacted_index_ = new_compacted;
    compacted_term_ = new_compacted_term;
    stored_snapshot_ = snapshot->metadata;
  }
  if (!entries.empty()) {
    const auto keep = static_cast<size_t>(entries.front().index - first_index());
    terms_.resize(std::min(keep, terms_.size()));
    for (const auto& e : entries)
      terms_.push_back(e.term);
  }
  if (hard_state) hard_state_ = *hard_state;
  return ok_status();
}

// ---- Applied state ------------------------------------------------------------------------------

Result<MetadataStore::State> MetadataStore::load_state() const {
  State state;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kAppliedKey, &value);
  if (s.IsNotFound()) return state;
  if (!s.ok()) return storage_error(s, "reading the applied offset");
  ByteReader r(as_bytes(value));
  const LogIndex applied(r.i64());
  if (!r.ok()) return corrupt("the applied offset is unreadable");
  if (applied == LogIndex(0)) return state;
  metadata::Records records;
  auto add = [&records](const rocksdb::Slice& v) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto batch, metadata::decode_batch(span_of(v)));
    for (auto& rec : *batch.mutable_records())
      records.push_back(std::move(rec));
    return ok_status();
  };
  s = db_->Get(rocksdb::ReadOptions(), kClusterKey, &value);
  if (s.ok()) FERRY_TRY(add(value));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (char tag : {kBrokerTag, kTopicTag}) {
    for (it->Seek(std::string(1, tag)); it->Valid() && it->key()[0] == tag; it->Next()) {
      FERRY_TRY(add(it->value()));
    }
  }
  if (!it->status().ok()) return storage_error(it->status(), "reading the metadata state");
  metadata::MetadataBuilder builder;
  Status applied_ok = builder.apply(applied, records);
  if (!applied_ok.ok()) return corrupt(applied_ok.error().message());
  state.image = builder.current();
  return state;
}

Status MetadataStore::save_state(const metadata::MetadataImage& image,
                                 const metadata::MetadataBuilder::Changes& changes) {
  rocksdb::WriteBatch batch;
  if (changes.cluster) batch.Put(kClusterKey, encode_records(metadata::cluster_to_records(image)));
  for (NodeId id : changes.brokers) {
    metadata::Records records;
    if (const auto* broker = image.broker(id))
      records.push_back(metadata::broker_to_record(*broker));
    if (auto it = image.broker_configs.find(id); it != image.broker_configs.end()) {
      for (auto& r : metadata::broker_configs_to_records(id, it->second)) {
        records.push_back(std::move(r));
      }
    }
    if (records.empty()) {
      batch.Delete(broker_key(id));
    } else {
      batch.Put(broker_key(id), encode_records(records));
    }
  }
  for (const Uuid& id : changes.topics) {
    if (const auto* topic = image.topic(id)) {
      batch.Put(topic_key(id), encode_records(metadata::topic_to_records(*topic)));
    } else {
      batch.Delete(topic_key(id));
    }
  }
  Bytes applied;
  ByteWriter(applied).i64(image.offset.value());
  batch.Put(kAppliedKey, to_string(applied));
  return write(&batch, false);
}

Status MetadataStore::replace_state(const metadata::MetadataImage& image) {
  rocksdb::WriteBatch batch;
  for (char tag : {kBrokerTag, kTopicTag}) {
    batch.DeleteRange(std::string(1, tag), std::string(1, static_cast<char>(tag + 1)));
  }
  batch.Put(kClusterKey, encode_records(metadata::cluster_to_records(image)));
  FERRY_TRY(write(&batch, false));
  metadata::MetadataBuilder::Changes all;
  all.cluster = true;
  for (const auto& [id, broker] : image.brokers)
    all.brokers.insert(id);
  for (const auto& [id, cfg] : image.broker_configs)
    all.brokers.insert(id);
  for (const auto& [id, topic] : image.topics)
    all.topics.insert(id);
  return save_state(image, all);
}

Status MetadataStore::save_snapshot(const raft::Snapshot& snapshot, LogIndex compact_to) {
  const LogIndex index = snapshot.metadata.index;
  FERRY_ASSERT(index >= first_index() - 1 && index <= last_index(),
               "snapshot {} outside the log [{}, {}]", index, first_index(), last_index());
  FERRY_ASSERT(compact_to <= index, "compacting to {} past the snapshot {}", compact_to, index);
  rocksdb::WriteBatch batch;
  batch.Put(kSnapshotKey, encode_snapshot(snapshot));
  const bool compacts = compact_to > compacted_index_;
  Term compact_term = compacted_term_;
  if (compacts) {
    FERRY_ASSIGN_OR_RETURN(compact_term, term(compact_to));
    batch.DeleteRange(entry_key(LogIndex(0)), entry_key(compact_to + 1));
    batch.Put(kLogStartKey, encode_log_start(compact_to, compact_term));
  }
  FERRY_TRY(write(&batch, true));
  stored_snapshot_ = snapshot.metadata;
  if (compacts) {
    terms_.erase(terms_.begin(), terms_.begin() + (compact_to - compacted_index_));
    compacted_index_ = compact_to;
    compacted_term_ = compact_term;
  }
  return ok_status();
}

}  // namespace ferry::controller
