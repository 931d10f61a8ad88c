#include "cli/kafka/groups.h"

#include <algorithm>

#include <fmt/format.h>

#include "cli/kafka/admin_call.h"

namespace ferry::cli {
namespace {

PartitionListPtr to_list(const std::vector<GroupTopicPartition>& tps) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
  for (const auto& tp : tps)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  return list;
}

PartitionListPtr to_list(const std::vector<GroupOffset>& offsets) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets)
    rd_kafka_topic_partition_list_add(list.get(), o.tp.topic.c_str(), o.tp.partition)->offset =
        o.offset;
  return list;
}

std::vector<GroupOffset> from_list(const rd_kafka_topic_partition_list_t* list) {
  std::vector<GroupOffset> out;
  for (int i = 0; list != nullptr && i < list->cnt; ++i) {
    const auto& p = list->elems[i];
    GroupOffset o;
    o.tp = {p.topic, p.partition};
    o.offset = p.offset;
    if (p.metadata != nullptr) {
      o.metadata.assign(static_cast<const char*>(p.metadata), p.metadata_size);
    }
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) o.error = kafka_error(p.err);
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.tp < b.tp; });
  return out;
}

Error from_error(const rd_kafka_error_t* e) {
  return kafka_error(rd_kafka_error_code(e),
                     server_message(rd_kafka_error_code(e), rd_kafka_error_string(e)));
}

// The partitions of the one group result of an offsets request, or its error.
Result<std::vector<GroupOffset>> one_group(const rd_kafka_group_result_t* const* groups,
                                           size_t count) {
  if (count != 1) {
    return kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG, "the answer has no result for the group");
  }
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[0])) return from_error(e);
  return from_list(rd_kafka_group_result_partitions(groups[0]));
}

}  // namespace

Result<GroupList> list_groups(Client& client, const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(
      auto options,
      make_options(client.handle(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, false, deadline, false));
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_ListConsumerGroups(client.handle(), options.get(), queue.get());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event.get());
  GroupList out;
  size_t count = 0;
  const auto* valid = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  for (size_t i = 0; i < count; ++i) {
    out.groups.push_back(
        {rd_kafka_ConsumerGroupListing_group_id(valid[i]),
         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
         rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
  }
  const auto* errors = rd_kafka_ListConsumerGroups_result_errors(result, &count);
  for (size_t i = 0; i < count; ++i)
    out.errors.push_back(from_error(errors[i]));
  std::sort(out.groups.begin(), out.groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return out;
}

Result<GroupDescription> describe_group(Client& client, const std::string& group,
                                        const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(
      auto options, make_options(client.handle(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, false,
                                 deadline, false));
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  const char* names[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(client.handle(), names, 1, options.get(), queue.get());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* groups = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  if (count != 1) {
    return kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG, "the answer has no result for the group");
  }
  const auto* g = groups[0];
  GroupDescription out;
  out.group_id = rd_kafka_ConsumerGroupDescription_group_id(g);
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g)) {
    out.error = from_error(e);
    return out;
  }
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
  if (const char* a = rd_kafka_ConsumerGroupDescription_partition_assignor(g)) out.protocol = a;
  if (const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(g)) {
    out.coordinator = rd_kafka_Node_id(node);
  }
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(g); ++i) {
    const auto* m = rd_kafka_ConsumerGroupDescription_member(g, i);
    GroupMember member;
    member.member_id = rd_kafka_MemberDescription_consumer_id(m);
    if (const char* id = rd_kafka_MemberDescription_group_instance_id(m)) member.instance_id = id;
    member.client_id = rd_kafka_MemberDescription_client_id(m);
    member.host = rd_kafka_MemberDescription_host(m);
    const auto* list =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
    for (const auto& o : from_list(list))
      member.assignment.push_back(o.tp);
    out.members.push_back(std::move(member));
  }
  std::sort(out.members.begin(), out.members.end(),
            [](const auto& a, const auto& b) { return a.member_id < b.member_id; });
  return out;
}

Result<std::vector<GroupOffset>> group_offsets(Client& client, const std::string& group,
                                               const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(
      auto options, make_options(client.handle(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, false,
                                 deadline, false));
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);  // every partition
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_ListConsumerGroupOffsets(client.handle(), &request, 1, options.get(), queue.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event.get()), &count);
  return one_group(groups, count);
}

Result<std::vector<GroupOffset>> alter_group_offsets(Client& client, const std::string& group,
                                                     const std::vector<GroupOffset>& offsets,
                                                     const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(auto options,
                         make_options(client.handle(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
                                      false, deadline, false));
  PartitionListPtr list = to_list(offsets);
  rd_kafka_AlterConsumerGroupOffsets_t* request =
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_AlterConsumerGroupOffsets(client.handle(), &request, 1, options.get(), queue.get());
  rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &count);
  return one_group(groups, count);
}

Result<std::vector<std::pair<std::string, std::optional<Error>>>> delete_groups(
    Client& client, const std::vector<std::string>& groups, const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(auto options, make_options(client.handle(), RD_KAFKA_ADMIN_OP_DELETEGROUPS,
                                                    false, deadline, false));
  std::vector<rd_kafka_DeleteGroup_t*> requests;
  for (const auto& g : groups)
    requests.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_DeleteGroups(client.handle(), requests.data(), requests.size(), options.get(),
                        queue.get());
  rd_kafka_DeleteGroup_destroy_array(requests.data(), requests.size());
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event.get()), &count);
  std::vector<std::pair<std::string, std::optional<Error>>> out;
  for (const auto& g : groups) {
    std::optional<Error> error =
        kafka_error(RD_KAFKA_RESP_ERR__BAD_MSG, "the answer has no result for this group");
    for (size_t i = 0; i < count; ++i) {
      if (g != rd_kafka_group_result_name(results[i])) continue;
      error.reset();
      if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
        error = from_error(e);
      }
    }
    out.emplace_back(g, error);
  }
  return out;
}

Result<std::vector<GroupOffset>> delete_group_offsets(
    Client& client, const std::string& group, const std::vector<GroupTopicPartition>& partitions,
    const Deadline& deadline) {
  FERRY_ASSIGN_OR_RETURN(auto options,
                         make_options(client.handle(), RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
                                      false, deadline, false));
  PartitionListPtr list = to_list(partitions);
  rd_kafka_DeleteConsumerGroupOffsets_t* request =
      rd_kafka_DeleteConsumerGroupOffsets_new(group.c_str(), list.get());
  QueuePtr queue(rd_kafka_queue_new(client.handle()));
  rd_kafka_DeleteConsumerGroupOffsets(client.handle(), &request, 1, options.get(), queue.get());
  rd_kafka_DeleteConsumerGroupOffsets_destroy(request);
  FERRY_ASSIGN_OR_RETURN(EventPtr event, await_result(client, queue.get(), deadline));
  size_t count = 0;
  const auto* groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
      rd_kafka_event_DeleteConsumerGroupOffsets_result(event.get()), &count);
  return one_group(groups, count);
}

Result<std::vector<GroupOffset>> offsets_for_timestamp(
    Client& client, const std::vector<GroupTopicPartition>& partitions, int64_t timestamp_ms,
    const Deadline& deadline) {
  PartitionListPtr list = to_list(partitions);
  for (int i = 0; i < list->cnt; ++i)
    list->elems[i].offset = timestamp_ms;
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(client.handle(), list.get(), deadline.remaining_ms());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return client.explain(kafka_error(err));
  return from_list(list.get());
}

}  // namespace ferry::cli
