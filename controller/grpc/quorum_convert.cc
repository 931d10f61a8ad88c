#include "controller/grpc/quorum_convert.h"

namespace ferry::controller::grpc_convert {

void set_error(proto::ErrorInfo* out, ErrorCode code, const std::string& message) {
  out->set_code(to_int(code));
  out->set_message(message);
}

ErrorCode error_code(const proto::ErrorInfo& info) {
  return error_code_from_int(static_cast<int16_t>(info.code()));
}

// ---- Describe quorum ----------------------------------------------------------------------------

namespace {

void to_proto(const VoterDescription& v, proto::VoterState* pv) {
  pv->set_id(v.id.value());
  pv->set_address(v.address);
  pv->set_log_end_offset(v.log_end_offset);
  pv->set_last_caught_up_ms_ago(v.last_caught_up_ms_ago);
  pv->set_recent_active(v.last_fetch_ms_ago >= 0 && v.last_fetch_ms_ago < 5000);
  pv->set_state(v.state);
  pv->set_lag(v.lag);
  pv->set_last_fetch_ms_ago(v.last_fetch_ms_ago);
}

VoterDescription from_proto(const proto::VoterState& pv) {
  VoterDescription v;
  v.id = NodeId(pv.id());
  v.address = pv.address();
  v.log_end_offset = pv.log_end_offset();
  v.lag = pv.lag();
  v.last_caught_up_ms_ago = pv.last_caught_up_ms_ago();
  v.last_fetch_ms_ago = pv.last_fetch_ms_ago();
  v.state = pv.state();
  return v;
}

}  // namespace

void to_proto(const QuorumDescription& d, proto::DescribeQuorumResponse* out) {
  out->set_cluster_id(d.cluster_id);
  out->mutable_leader()->set_leader_id(d.leader_id.value());
  out->set_leader_epoch(d.leader_epoch);
  out->set_high_watermark(d.high_watermark);
  out->set_log_start_offset(d.log_start_offset);
  for (const auto& v : d.voters)
    to_proto(v, out->add_voters());
  for (const auto& v : d.observers)
    to_proto(v, out->add_observers());
}

QuorumDescription from_proto(const proto::DescribeQuorumResponse& r) {
  QuorumDescription d;
  d.cluster_id = r.cluster_id();
  d.leader_id = NodeId(r.leader().leader_id());
  d.leader_epoch = r.leader_epoch();
  d.high_watermark = r.high_watermark();
  d.log_start_offset = r.log_start_offset();
  for (const auto& pv : r.voters())
    d.voters.push_back(from_proto(pv));
  for (const auto& pv : r.observers())
    d.observers.push_back(from_proto(pv));
  return d;
}

}  // namespace ferry::controller::grpc_convert
