#include "controller/metadata/placement.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace ferry::controller::metadata {

bool broker_is_usable(const MetadataImage& image, NodeId id) {
  const BrokerRegistration* broker = image.broker(id);
  return broker != nullptr && !broker->fenced && !broker->in_controlled_shutdown;
}

namespace {

template <typename T>
void shuffle(std::vector<T>& items, Random& random) {
  for (size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[random.uniform(i)]);
  }
}

// The brokers of one rack, handed out round robin; each placement epoch starts one further.
class BrokerList {
 public:
  void add(NodeId id) { brokers_.push_back(id); }
  void initialize(Random& random) {
    std::sort(brokers_.begin(), brokers_.end());
    offset_ = brokers_.empty() ? 0 : random.uniform(brokers_.size());
  }
  void shuffle_brokers(Random& random) { shuffle(brokers_, random); }
  // The next broker of this epoch, or nullopt when the rack has none left in it.
  std::optional<NodeId> next(int epoch) {
    if (brokers_.empty()) return std::nullopt;
    if (epoch != epoch_) {
      epoch_ = epoch;
      index_ = 0;
      offset_ = (offset_ + 1) % brokers_.size();
    }
    if (index_ >= brokers_.size()) return std::nullopt;
    return brokers_[(index_++ + offset_) % brokers_.size()];
  }

 private:
  std::vector<NodeId> brokers_;
  size_t index_ = 0;
  size_t offset_ = 0;
  int epoch_ = 0;
};

class RackList {
 public:
  RackList(const MetadataImage& image, Random& random) : random_(random) {
    for (const auto& [id, broker] : image.brokers) {
      if (!broker_is_usable(image, id)) continue;
      auto [it, added] = racks_.try_emplace(broker.rack);
      if (added) rack_names_.push_back(broker.rack);
      it->second.add(id);
      ++usable_;
    }
    for (auto& [name, rack] : racks_)
      rack.initialize(random_);
    std::sort(rack_names_.begin(), rack_names_.end());  // nullopt (no rack) first
    offset_ = rack_names_.empty() ? 0 : random_.uniform(rack_names_.size());
  }

  int usable() const { return usable_; }

  std::vector<NodeId> place(int replication_factor) {
    if (epoch_ == usable_ && usable_ > 1) {
      shuffle(rack_names_, random_);
      for (auto& [name, rack] : racks_)
        rack.shuffle_brokers(random_);
      epoch_ = 0;
    }
    if (offset_ == rack_names_.size()) offset_ = 0;
    std::vector<NodeId> replicas;
    size_t first_rack = offset_;
    while (true) {  // the leader: the first rack (from offset_) with a broker left
      if (auto id = racks_.at(rack_names_[first_rack]).next(epoch_)) {
        replicas.push_back(*id);
        break;
      }
      first_rack = (first_rack + 1) % rack_names_.size();
    }
    size_t rack = offset_;
    bool first_rack_skipped = false;
    while (static_cast<int>(replicas.size()) < replication_factor) {
      std::optional<NodeId> id;
      if (rack == first_rack && !first_rack_skipped) {
        first_rack_skipped = true;  // the leader's rack already gave one in this round
      } else {
        id = racks_.at(rack_names_[rack]).next(epoch_);
      }
      rack = (rack + 1) % rack_names_.size();
      if (id) replicas.push_back(*id);
    }
    ++epoch_;
    ++offset_;
    return replicas;
  }

 private:
  Random& random_;
  std::map<std::optional<std::string>, BrokerList> racks_;
  std::vector<std::optional<std::string>> rack_names_;
  int usable_ = 0;
  int epoch_ = 0;
  size_t offset_ = 0;
};

Error invalid_rf(std::string message) {
  return Error(ErrorCode::INVALID_REPLICATION_FACTOR, std::move(message));
}

}  // namespace

Result<std::vector<std::vector<NodeId>>> place_replicas(const MetadataImage& image,
                                                        int32_t num_partitions,
                                                        int32_t replication_factor,
                                                        Random& random) {
  if (replication_factor <= 0) {
    return invalid_rf(
        fmt::format("Invalid replication factor {}: the replication factor must be positive.",
                    replication_factor));
  }
  const auto registered = static_cast<int32_t>(image.brokers.size());
  if (replication_factor > registered) {
    return invalid_rf(fmt::format(
        "The target replication factor of {} cannot be reached because only {} broker(s) are "
        "registered.",
        replication_factor, registered));
  }
  RackList racks(image, random);
  if (racks.usable() == 0) return invalid_rf("All brokers are currently fenced.");
  if (replication_factor > racks.usable()) {
    return invalid_rf(fmt::format(
        "The target replication factor of {} cannot be reached because only {} broker(s) are "
        "registered and unfenced.",
        replication_factor, racks.usable()));
  }
  std::vector<std::vector<NodeId>> out;
  out.reserve(static_cast<size_t>(num_partitions));
  for (int32_t p = 0; p < num_partitions; ++p)
    out.push_back(racks.place(replication_factor));
  return out;
}

}  // namespace ferry::controller::metadata
