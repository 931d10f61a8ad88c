#include "cli/kafka/admin.h"

#include "cli/kafka/admin_call.h"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace ferry::cli {
namespace {

std::vector<TopicOutcome> topic_outcomes(const rd_kafka_topic_result_t* const* results,
                                         size_t count, const std::vector<std::string>& requested) {
  std::map<std::string, std::optional<Error>> by_name;
  for (size_t i = 0; i < count; ++i) {
    by_name.emplace(rd_kafka_topic_result_name(results[i]),
                    outcome_error(rd_kafka_topic_result_error(results[i]),
                                  rd_kafka_topic_result_error_string(results[i])));
  }
  std::vector<TopicOutcome> outcomes;
  for (const auto& name : requested) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      outcomes.push_back({name, kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG,
                                            "the answer has no result for this topic")});
    } else {
      outcomes.push_back({name, it->second});
    }
  }
  return outcomes;
}

std::vector<int32_t> to_vector(const int32_t* ids, int count) {
  return std::vector<int32_t>(ids, ids + std::max(count, 0));
}

TopicInfo topic_from_metadata(const rd_kafka_metadata_topic_t& t) {
  TopicInfo topic{t.topic, static_cast<ErrorCode>(t.err), {}};
  for (int p = 0; p < t.partition_cnt; ++p) {
    const auto& mp = t.partitions[p];
    topic.partitions.push_back({mp.id, mp.leader, to_vector(mp.replicas, mp.replica_cnt),
                                to_vector(mp.isrs, mp.isr_cnt), static_cast<ErrorCode>(mp.err)});
  }
  std::sort(topic.partitions.begin(), topic.partitions.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return topic;
}

}  // namespace

Result<ClusterInfo> fetch_cluster(Client& client, bool with_topics, const Deadline& deadline) {
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client.handle(), with_topics ? 1 : 0, nullptr, &raw,
                                              deadline.remaining_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return client.explain(kafka_error(err));
  MetadataPtr metadata(raw);
  ClusterInfo cluster;
  for (int b = 0; b < metadata->broker_cnt; ++b) {
    const auto& mb = metadata->brokers[b];
    cluster.brokers.push_back({mb.id, mb.host, mb.port});
  }
  std::sort(cluster.brokers.begin(), cluster.brokers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    cluster.topics.push_back(topic_from_metadata(metadata->topics[t]));
  }
  std::sort(cluster.topics.begin(), cluster.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  // Both come from the metadata just cached, so no wait is needed.
  cluster.controller_id = rd_kafka_controllerid(client.handle(), 0);
  if (char* id = rd_kafka_clusterid(client.handle(), 0)) {
    cluster.cluster_id = id;
    rd_kafka_mem_free(client.handle(), id);
  }
  return cluster;
}

Result<TopicInfo> find_topic(const ClusterInfo& cluster, const std::string& name) {
  for (const auto& topic : cluster.topics) {
    if (topic.name != name) continue;
    if (topic.error != ErrorCode::NONE) return Error(topic.error, "");
    return topic;
  }
  return Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "");
}

Result<Watermarks> query_watermarks(Client& client, const std::string& topic, int32_t partition,
                                    const Deadline& deadline) {
  int64_t low = -1;
  int64_t high = -1;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      client.handle(), topic.c_str(), partition, &low, &high, deadline.remaining_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return client.explain(kafka_error(err));
  return Watermarks{low, high};
}

Result<std::vector<TopicOutcome>> create_topics(Client& client, const std::vector<NewTopic>& topics,
                                                bool validate_only, const Deadline& deadline) {
  std::vector<rd_kafka_NewTopic_t*> specs;
  std::vector<std::string> names;
  auto cleanup = [&] { rd_kafka_NewTopic_destroy_array(specs.data(), specs.size()); };
  char errstr[512];
  for (const auto& topic : topics) {
    rd_kafka_NewTopic_t* spec = rd_kafka_NewTopic_new(
        topic.name.c_str(), topic.partitions, topic.replication_factor, errstr, sizeof(errstr));
    if (spec == nullptr) {
      cleanup();
      return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, fmt::format("{}: {}", topic.name, errstr));
    }
    specs.push_back(spec);
    names.push_back(topic.name);
    for (const auto& [key, value] : topic.configs) {
      rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(spec, key.c_str(), value.c_str());
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cleanup();
        return kafka_error(err, fmt::format("{}: cannot set {}={}", topic.name, key, value));
      }
    }
  }
  auto options =
      make_options(client.handle(), RD_KAFKA_ADMIN_OP_CREATETOPICS, validate_only, deadline, true);
  if (!options.ok()) {
    cleanup();
    return std::move(options).error();
  }
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_CreateTopics(client.handle(), specs.data(), specs.size(), options->get(), queue.get());
  cleanup();
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  return topic_outcomes(results, count, names);
}

Result<std::vector<TopicOutcome>> delete_topics(Client& client,
                                                const std::vector<std::string>& topics,
                                                const Deadline& deadline) {
  std::vector<rd_kafka_DeleteTopic_t*> specs;
  for (const auto& name : topics)
    specs.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  auto options =
      make_options(client.handle(), RD_KAFKA_ADMIN_OP_DELETETOPICS, false, deadline, true);
  if (!options.ok()) {
    rd_kafka_DeleteTopic_destroy_array(specs.data(), specs.size());
    return std::move(options).error();
  }
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_DeleteTopics(client.handle(), specs.data(), specs.size(), options->get(), queue.get());
  rd_kafka_DeleteTopic_destroy_array(specs.data(), specs.size());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  return topic_outcomes(results, count, topics);
}

Result<std::vector<TopicOutcome>> create_partitions(
    Client& client, const std::vector<std::pair<std::string, int32_t>>& new_totals,
    bool validate_only, const Deadline& deadline) {
  std::vector<rd_kafka_NewPartitions_t*> specs;
  std::vector<std::string> names;
  auto cleanup = [&] { rd_kafka_NewPartitions_destroy_array(specs.data(), specs.size()); };
  char errstr[512];
  for (const auto& [name, total] : new_totals) {
    rd_kafka_NewPartitions_t* spec = rd_kafka_NewPartitions_new(
        name.c_str(), static_cast<size_t>(total), errstr, sizeof(errstr));
    if (spec == nullptr) {
      cleanup();
      return kafka_error(RD_KAFKA_RESP_ERR__INVALID_ARG, fmt::format("{}: {}", name, errstr));
    }
    specs.push_back(spec);
    names.push_back(name);
  }
  auto options = make_options(client.handle(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, validate_only,
                              deadline, true);
  if (!options.ok()) {
    cleanup();
    return std::move(options).error();
  }
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_CreatePartitions(client.handle(), specs.data(), specs.size(), options->get(),
                            queue.get());
  cleanup();
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(event.get()), &count);
  return topic_outcomes(results, count, names);
}

namespace {

struct ConfigResourceArray {
  std::vector<rd_kafka_ConfigResource_t*> items;
  ~ConfigResourceArray() { rd_kafka_ConfigResource_destroy_array(items.data(), items.size()); }
};

ConfigEntry config_entry(const rd_kafka_ConfigEntry_t* entry) {
  ConfigEntry out;
  out.name = rd_kafka_ConfigEntry_name(entry);
  if (const char* value = rd_kafka_ConfigEntry_value(entry)) out.value = value;
  out.source = rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entry));
  out.read_only = rd_kafka_ConfigEntry_is_read_only(entry) != 0;
  out.sensitive = rd_kafka_ConfigEntry_is_sensitive(entry) != 0;
  return out;
}

}  // namespace

Result<std::vector<TopicConfigs>> describe_topic_configs(Client& client,
                                                         const std::vector<std::string>& topics,
                                                         const Deadline& deadline) {
  ConfigResourceArray resources;
  for (const auto& name : topics) {
    resources.items.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  }
  FERRY_ASSIGN_OR_RETURN(
      auto options,
      make_options(client.handle(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, false, deadline, false));
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_DescribeConfigs(client.handle(), resources.items.data(), resources.items.size(),
                           options.get(), queue.get());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  std::map<std::string, TopicConfigs> by_name;
  for (size_t i = 0; i < count; ++i) {
    TopicConfigs configs;
    configs.topic = rd_kafka_ConfigResource_name(results[i]);
    configs.error = outcome_error(rd_kafka_ConfigResource_error(results[i]),
                                  rd_kafka_ConfigResource_error_string(results[i]));
    size_t entry_count = 0;
    const auto* entries = rd_kafka_ConfigResource_configs(results[i], &entry_count);
    for (size_t e = 0; e < entry_count; ++e)
      configs.entries.push_back(config_entry(entries[e]));
    std::sort(configs.entries.begin(), configs.entries.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    by_name.emplace(configs.topic, std::move(configs));
  }
  std::vector<TopicConfigs> out;
  for (const auto& name : topics) {
    auto it = by_name.find(name);
    if (it != by_name.end()) {
      out.push_back(it->second);
    } else {
      out.push_back(
          {name,
           kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG, "the answer has no result for this topic"),
           {}});
    }
  }
  return out;
}

Result<std::vector<TopicOutcome>> alter_topic_configs(Client& client,
                                                      const std::vector<TopicConfigSet>& sets,
                                                      bool validate_only,
                                                      const Deadline& deadline) {
  ConfigResourceArray resources;
  std::vector<std::string> names;
  for (const auto& set : sets) {
    auto* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, set.topic.c_str());
    resources.items.push_back(resource);
    names.push_back(set.topic);
    for (const auto& [key, value] : set.configs) {
      rd_kafka_resp_err_t err =
          rd_kafka_ConfigResource_set_config(resource, key.c_str(), value.c_str());
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(err, fmt::format("{}: cannot set {}={}", set.topic, key, value));
      }
    }
  }
  FERRY_ASSIGN_OR_RETURN(auto options, make_options(client.handle(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS,
                                                    validate_only, deadline, false));
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_AlterConfigs(client.handle(), resources.items.data(), resources.items.size(),
                        options.get(), queue.get());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results = rd_kafka_AlterConfigs_result_resources(
      rd_kafka_event_AlterConfigs_result(event.get()), &count);
  std::map<std::string, std::optional<Error>> by_name;
  for (size_t i = 0; i < count; ++i) {
    by_name.emplace(rd_kafka_ConfigResource_name(results[i]),
                    outcome_error(rd_kafka_ConfigResource_error(results[i]),
                                  rd_kafka_ConfigResource_error_string(results[i])));
  }
  std::vector<TopicOutcome> outcomes;
  for (const auto& name : names) {
    auto it = by_name.find(name);
    outcomes.push_back(
        {name, it != by_name.end()
                   ? it->second
                   : std::optional<Error>(kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG,
                                                      "the answer has no result for this topic"))});
  }
  return outcomes;
}

}  // namespace ferry::cli
