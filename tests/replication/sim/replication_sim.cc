#include "tests/replication/sim/replication_sim.h"

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "broker/broker.h"
#include "common/config.h"
#include "common/random.h"
#include "controller/metadata/commands.h"
#include "controller/metadata/state_machine.h"
#include "replication/partition.h"
#include "replication/replica_fetch_server.h"
#include "replication/replica_manager.h"
#include "storage/record_batch_builder.h"
#include "tests/support/sim_scheduler.h"

namespace ferry::replication::sim {

namespace fs = std::filesystem;
using test::SimExecutor;
using test::SimScheduler;

namespace {

constexpr int kController = 0;
constexpr int kClient = 1000;
constexpr const char* kTopic = "t";
constexpr int64_t kControllerTickMs = 50;
constexpr int64_t kImagePushMs = 100;
constexpr int64_t kElectionTimeoutMs = 500;
constexpr int64_t kRequestTimeoutMs = 3000;
constexpr int64_t kFetchTimeoutMs = 500;

struct Violation {
  std::string what;
};

// Big-endian readers for the v2 batch header (storage/record_batch.h describes the layout).
int64_t be64(const uint8_t* p) {
  int64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}
int32_t be32(const uint8_t* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | p[i];
  return v;
}

// Every batch the simulation writes holds one record whose timestamp is its unique id.
std::map<int64_t, int64_t> records_of(const Bytes& bytes) {
  std::map<int64_t, int64_t> out;
  size_t pos = 0;
  while (pos + 61 <= bytes.size()) {
    const int64_t base = be64(&bytes[pos]);
    const int32_t length = be32(&bytes[pos + 8]);
    if (length <= 0 || pos + 12 + static_cast<size_t>(length) > bytes.size()) break;
    out[base] = be64(&bytes[pos + 27]);
    pos += 12 + static_cast<size_t>(length);
  }
  return out;
}

class Sim;

// ---- The controller ApI and metadata seen by one broker incarnation ------------------------

class SimMetadataSource final : public controller::MetadataSource {
 public:
  controller::metadata::MetadataImagePtr image() const override { return image_; }
  void subscribe(
      std::function<void(const controller::metadata::MetadataImagePtr&)> listener) override {
    listeners_.push_back(std::move(listener));
  }
  void deliver(const controller::metadata::MetadataImagePtr& image) {
    if (image->offset <= image_->offset) return;
    image_ = image;
    for (auto& l : listeners_)
      l(image);
  }

 private:
  controller::metadata::MetadataImagePtr image_ =
      std::make_shared<controller::metadata::MetadataImage>();
  std::vector<std::function<void(const controller::metadata::MetadataImagePtr&)>> listeners_;
};

class SimControllerApi final : public controller::ControllerApi {
 public:
  SimControllerApi(Sim& sim, int broker, uint64_t generation)
      : sim_(sim), broker_(broker), generation_(generation) {}
  void close() { closed_ = true; }

  void create_topics(std::vector<controller::CreateTopicSpec>, bool,
                     controller::Callback<std::vector<controller::CreateTopicResult>> d) override {
    d({});
  }
  void delete_topics(std::vector<controller::DeleteTopicSpec>,
                     controller::Callback<std::vector<controller::DeleteTopicResult>> d) override {
    d({});
  }
  void create_partitions(
      std::vector<controller::CreatePartitionsSpec>, bool,
      controller::Callback<std::vector<controller::CreatePartitionsResult>> d) override {
    d({});
  }
  void alter_configs(std::vector<controller::AlterConfigsSpec>, bool,
                     controller::Callback<std::vector<controller::AlterConfigsResult>> d) override {
    d({});
  }
  void register_broker(controller::BrokerRegistrationRequest request,
                       controller::Callback<controller::BrokerRegistrationReply> done) override;
  void broker_heartbeat(controller::BrokerHeartbeatRequest request,
                        controller::Callback<controller::BrokerHeartbeatReply> done) override;
  void alter_partition(controller::AlterPartitionRequest request,
                       controller::Callback<controller::AlterPartitionReply> done) override;
  NodeId active_controller() const override { return NodeId(0); }

 private:
  template <typename Reply>
  void call(std::function<Reply()> at_controller, controller::Callback<Reply> done,
            int64_t timeout_ms);

  Sim& sim_;
  const int broker_;
  const uint64_t generation_;
  bool closed_ = false;
};

class SimFetchClients final : public ReplicaFetchClientFactory {
 public:
  SimFetchClients(Sim& sim, int broker, uint64_t generation)
      : sim_(sim), broker_(broker), generation_(generation) {}
  std::unique_ptr<ReplicaFetchClient> connect(NodeId leader, const BrokerEndpoint&) override;

 private:
  Sim& sim_;
  const int broker_;
  const uint64_t generation_;
};

// One broker process: its objects live until the simulation ends (a crashed incarnation's are
// kept, inert, so nothing they reference disappears under a stale callback).
struct Incarnation {
  uint64_t generation = 0;
  std::unique_ptr<SimExecutor> executor;
  std::unique_ptr<SimMetadataSource> metadata;
  std::unique_ptr<SimControllerApi> api;
  std::unique_ptr<SimFetchClients> fetch_clients;
  std::unique_ptr<config::BrokerConfig> config;
  std::unique_ptr<broker::Broker> broker;
};

struct BrokerNode {
  int id = 0;
  fs::path dir;
  bool alive = false;
  std::unique_ptr<Incarnation> current;
  std::vector<std::unique_ptr<Incarnation>> dead;
  int64_t restart_at_ms = -1;
  // The checker's view of this replica's log the last time it scanned it.
  Offset scanned_hw{-1};
  Offset scanned_leo{-1};

  std::shared_ptr<Partition> partition() const {
    if (!alive || !current) return nullptr;
    return current->broker->partitions().get(kTopic, 0);
  }
};

// ---- The simulation ---------------------------------------------------------------------------

class Sim {
 public:
  explicit Sim(const SimOptions& options);
  ~Sim();
  SimResult run();

  // Network: `fn` runs at `to` after a delay unless the link is cut or the message is lost. An
  // answer passes the generation of the incarnation that asked.
  void send(int from, int to, std::function<void()> fn,
            std::optional<uint64_t> to_generation = std::nullopt);
  SimScheduler& scheduler() { return scheduler_; }
  BrokerNode& node(int id) { return nodes_.at(static_cast<size_t>(id - 1)); }
  void trace(std::string line);

  // The controller's request handlers (run at the controller).
  controller::BrokerRegistrationReply on_register(const controller::BrokerRegistrationRequest&);
  controller::BrokerHeartbeatReply on_heartbeat(const controller::BrokerHeartbeatRequest&);
  controller::AlterPartitionReply on_alter_partition(const controller::AlterPartitionRequest&);
  bool controller_available() const { return scheduler_.now_ms() >= controller_paused_until_; }

 private:
  // setup and processes
  void start_broker(BrokerNode& n);
  void crash_broker(BrokerNode& n);
  void create_topic();
  // the controller
  void apply(const controller::metadata::Records& records, const std::string& why);
  void controller_tick();
  void push_images();
  // load and faults
  void produce(bool final_write);
  void on_produce(int target, int64_t id, Acks acks);
  void on_produce_answer(int64_t id, Acks acks, ErrorCode code, Offset offset);
  void consume();
  void disk_tick(int broker);
  void fault();
  void schedule_faults();
  // checking
  void check();
  void scan_replica(BrokerNode& n);
  std::map<int64_t, int64_t> read_log(Partition& p, Offset end);
  void check_leaders_from_isr(const controller::metadata::PartitionRegistration* before,
                              const controller::metadata::PartitionRegistration* after);
  const controller::metadata::PartitionRegistration* registration() const;
  bool healed_and_live() const;
  void final_checks();
  [[noreturn]] void fail(const std::string& what);

  SimOptions o_;
  SeededRandom rng_;
  ManualClock clock_{1'700'000'000'000, 0};
  SimScheduler scheduler_{clock_};
  fs::path root_;
  std::vector<BrokerNode> nodes_;
  std::set<int> isolated_;  // cut from every other broker and the controller
  std::set<int> ctrl_cut_;  // cut from the controller only
  bool healing_ = false;
  bool durable_ = true;
  int32_t min_insync_ = 2;
  // the controller
  controller::metadata::MetadataBuilder builder_;
  LogIndex offset_{0};
  controller::metadata::CommandConfig config_;
  controller::metadata::BrokerSessions sessions_{2000};
  int64_t controller_paused_until_ = 0;
  bool controller_resume_pending_ = false;
  // the checker
  std::map<int64_t, int64_t> committed_;  // offset -> record id
  std::map<int64_t, int64_t> acked_;      // record id -> offset (acks=all)
  std::set<int64_t> outstanding_;         // ids sent and not answered yet
  int64_t max_served_hw_ = 0;
  int64_t next_id_ = 1'000'000;
  int64_t final_id_ = -1;
  bool final_acked_ = false;
  std::deque<std::string> recent_;
  SimResult result_;
};

// ---- controller API plumbing -------------------------------------------------------------------

template <typename Reply>
void SimControllerApi::call(std::function<Reply()> at_controller, controller::Callback<Reply> done,
                            int64_t timeout_ms) {
  if (closed_) {
    Reply r;
    r.error = ErrorCode::NOT_CONTROLLER;
    return done(std::move(r));
  }
  auto finished = std::make_shared<bool>(false);
  auto finish = [finished, done](Reply r) {
    if (*finished) return;
    *finished = true;
    done(std::move(r));
  };
  Sim& sim = sim_;
  const int broker = broker_;
  const uint64_t generation = generation_;
  sim.send(broker, kController, [&sim, broker, generation, at_controller, finish] {
    if (!sim.controller_available()) return;  // failing over: no answer
    Reply reply = at_controller();
    sim.send(
        kController, broker, [finish, reply] { finish(reply); }, generation);
  });
  sim.scheduler().at_generation(sim.scheduler().now_ms() + timeout_ms, broker, generation,
                                [finish] {
                                  Reply r;
                                  r.error = ErrorCode::REQUEST_TIMED_OUT;
                                  finish(std::move(r));
                                });
}

void SimControllerApi::register_broker(
    controller::BrokerRegistrationRequest request,
    controller::Callback<controller::BrokerRegistrationReply> done) {
  call<controller::BrokerRegistrationReply>([this, request] { return sim_.on_register(request); },
                                            std::move(done), kRequestTimeoutMs);
}

void SimControllerApi::broker_heartbeat(
    controller::BrokerHeartbeatRequest request,
    controller::Callback<controller::BrokerHeartbeatReply> done) {
  const int64_t timeout = request.timeout_ms > 0 ? request.timeout_ms : kRequestTimeoutMs;
  call<controller::BrokerHeartbeatReply>([this, request] { return sim_.on_heartbeat(request); },
                                         std::move(done), timeout);
}

void SimControllerApi::alter_partition(controller::AlterPartitionRequest request,
                                       controller::Callback<controller::AlterPartitionReply> done) {
  call<controller::AlterPartitionReply>(
      [this, request] { return sim_.on_alter_partition(request); }, std::move(done),
      kRequestTimeoutMs);
}

// A follower's connection to a leader: each fetch crosses the network both ways and is served
// by the leader's real replica fetch server; a lost message times out.
class SimFetchClient final : public ReplicaFetchClient {
 public:
  SimFetchClient(Sim& sim, int follower, uint64_t generation, int leader)
      : sim_(sim), follower_(follower), generation_(generation), leader_(leader) {}

  void fetch(const ReplicaFetchRequest& request,
             std::function<void(Result<ReplicaFetchResponse>)> done) override {
    auto finished = std::make_shared<bool>(false);
    auto finish = [finished, done](Result<ReplicaFetchResponse> r) {
      if (*finished) return;
      *finished = true;
      done(std::move(r));
    };
    Sim& sim = sim_;
    const int follower = follower_;
    const uint64_t generation = generation_;
    const int leader = leader_;
    if (!request.partitions.empty()) {
      const auto& pos = request.partitions[0].position;
      sim.trace(
          fmt::format("fetch {}->{}: offset {} last epoch {} leader epoch {} durable {} hw {}",
                      follower, leader, pos.fetch_offset, pos.last_fetched_epoch,
                      pos.current_leader_epoch, pos.durable_end, pos.high_watermark));
    }
    sim.send(follower, leader, [&sim, follower, generation, leader, request, finish] {
      BrokerNode& n = sim.node(leader);
      if (!n.alive) return;
      Incarnation& inc = *n.current;
      serve_replica_fetch(
          inc.broker->partitions(), request, *inc.executor, sim.scheduler().clock(),
          [&sim, follower, generation, leader, finish](ServedFetch served) {
            ReplicaFetchResponse response;
            auto frames = std::make_shared<std::vector<Bytes>>();
            frames->reserve(served.partitions.size());
            for (auto& p : served.partitions) {
              auto& out = response.partitions.emplace_back();
              out.topic_id = p.topic_id;
              out.partition = p.partition;
              out.answer.error = p.read.error;
              out.answer.high_watermark = p.read.high_watermark;
              out.answer.log_start = p.read.log_start;
              out.answer.diverging = p.read.diverging;
              if (p.read.slice.length > 0) {
                auto bytes = p.read.slice.copy_to_memory();
                if (!bytes.ok()) {
                  out.answer.error = bytes.code();
                } else {
                  frames->push_back(std::move(*bytes));
                  out.records = ByteSpan(frames->back().data(), frames->back().size());
                  out.answer.has_records = true;
                }
              }
            }
            response.owner = frames;
            if (!response.partitions.empty()) {
              const auto& a = response.partitions[0];
              sim.trace(
                  fmt::format("answer {}->{}: {} hw {} diverging {} bytes {}", leader, follower,
                              error_name(a.answer.error), a.answer.high_watermark,
                              a.answer.diverging ? a.answer.diverging->end_offset.value() : -1,
                              a.records.size()));
            }
            sim.send(
                leader, follower, [finish, response] { finish(response); }, generation);
          });
    });
    sim.scheduler().at_generation(
        sim.scheduler().now_ms() + request.max_wait_ms + kFetchTimeoutMs, follower, generation,
        [finish] { finish(Error(ErrorCode::REQUEST_TIMED_OUT, "simulated fetch timed out")); });
  }
  void close() override {}

 private:
  Sim& sim_;
  const int follower_;
  const uint64_t generation_;
  const int leader_;
};

std::unique_ptr<ReplicaFetchClient> SimFetchClients::connect(NodeId leader, const BrokerEndpoint&) {
  return std::make_unique<SimFetchClient>(sim_, broker_, generation_, leader.value());
}

// ---- setup ------------------------------------------------------------------------------------

Sim::Sim(const SimOptions& options) : o_(options), rng_(options.seed) {
  if (o_.vary_per_seed) {
    o_.loss = rng_.next_double() * 0.03;
    o_.max_delay_ms = rng_.range(2, 20);
    o_.fault_every_ms = rng_.range(400, 2000);
    o_.disk_slow_chance = rng_.next_double() * 0.01;
  }
  durable_ = !rng_.chance(0.2);  // log.flush.mode=page-cache for some seeds
  min_insync_ = static_cast<int32_t>(rng_.range(1, std::min(o_.brokers, 3)));
  // tmpfs when there is one: fsync costs nothing there, and the crash model truncates files to
  // what was synced rather than relying on the disk.
  const fs::path base =
      fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  root_ = base / fmt::format("ferry-repl-sim-{}-{}", ::getpid(), o_.seed);
  fs::remove_all(root_);
  fs::create_directories(root_);
  config_.num_partitions = 1;
  config_.default_replication_factor = static_cast<int16_t>(o_.brokers);
  config_.broker_session_timeout_ms = 2000;
  sessions_ = controller::metadata::BrokerSessions(config_.broker_session_timeout_ms);
  nodes_.resize(static_cast<size_t>(o_.brokers));
  for (int i = 1; i <= o_.brokers; ++i) {
    node(i).id = i;
    node(i).dir = root_ / fmt::format("broker-{}", i);
  }
}

Sim::~Sim() {
  scheduler_.clear();  // pending events refer to the objects below
  for (auto& n : nodes_) {
    // Shut everything down with the controller API answering at once (nothing runs anymore).
    auto stop = [](Incarnation& inc) {
      inc.api->close();
      inc.broker.reset();
    };
    if (n.current) stop(*n.current);
    for (auto& d : n.dead)
      stop(*d);
  }
  scheduler_.clear();
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void Sim::trace(std::string line) {
  line = fmt::format("{:>6} {}", scheduler_.now_ms(), line);
  if (o_.trace) fmt::print(stderr, "{}\n", line);
  recent_.push_back(std::move(line));
  if (recent_.size() > 80) recent_.pop_front();
}

void Sim::fail(const std::string& what) {
  throw Violation{what};
}

void Sim::start_broker(BrokerNode& n) {
  const uint64_t generation = scheduler_.generation(n.id);
  auto inc = std::make_unique<Incarnation>();
  inc->generation = generation;
  inc->executor = std::make_unique<SimExecutor>(scheduler_, n.id);
  inc->metadata = std::make_unique<SimMetadataSource>();
  inc->api = std::make_unique<SimControllerApi>(*this, n.id, generation);
  inc->fetch_clients = std::make_unique<SimFetchClients>(*this, n.id, generation);
  auto config = config::BrokerConfig::from_map({
      {"node.id", std::to_string(n.id)},
      {"log.dirs", n.dir.string()},
      {"broker.heartbeat.interval.ms", "250"},
      {"broker.session.timeout.ms", "2000"},
      {"replica.lag.time.max.ms", "1500"},
      {"replica.fetch.wait.max.ms", "200"},
      {"replica.fetch.backoff.ms", "50"},
      {"replica.high.watermark.checkpoint.interval.ms", "200"},
      {"log.flush.interval.ms", "500"},
      {"log.flush.mode", durable_ ? "fsync" : "page-cache"},
      {"log.segment.bytes", "4096"},
      {"min.insync.replicas", std::to_string(min_insync_)},
  });
  FERRY_ASSERT(config.ok(), "sim broker config: {}", config.error().to_string());
  inc->config = std::make_unique<config::BrokerConfig>(std::move(*config));
  inc->broker =
      std::make_unique<broker::Broker>(*inc->config, *inc->api, *inc->metadata, *inc->executor,
                                       clock_, *inc->fetch_clients, broker::Broker::Options{0});
  Status started = inc->broker->start({{"PLAINTEXT", fmt::format("b{}", n.id), 9000 + n.id}});
  FERRY_ASSERT(started.ok(), "sim broker {} start: {}", n.id, started.error().to_string());
  n.current = std::move(inc);
  n.alive = true;
  n.scanned_hw = Offset(-1);
  n.scanned_leo = Offset(-1);
  disk_tick(n.id);
  trace(fmt::format("broker {} started (generation {})", n.id, generation));
}

// kill -9 and, in fsync mode, a power loss: what was not fsynced is gone.
void Sim::crash_broker(BrokerNode& n) {
  std::vector<std::pair<fs::path, uint64_t>> synced;
  if (auto p = n.partition(); p && durable_) {
    for (const auto& s : p->log().segments_for_test())
      synced.emplace_back(storage::Segment::log_path(p->log().dir(), s->base_offset()),
                          s->synced_size());
  }
  scheduler_.crash(n.id);
  n.alive = false;
  n.dead.push_back(std::move(n.current));
  for (const auto& [path, size] : synced) {
    std::error_code ec;
    if (fs::exists(path, ec) && fs::file_size(path, ec) > size) fs::resize_file(path, size, ec);
  }
  ++result_.crashes;
  trace(fmt::format("broker {} crashed{}", n.id, durable_ ? " (unsynced writes lost)" : ""));
}

void Sim::create_topic() {
  controller::CreateTopicSpec spec;
  spec.name = kTopic;
  std::vector<NodeId> replicas;
  for (int i = 1; i <= o_.brokers; ++i)
    replicas.emplace_back(i);
  for (size_t i = replicas.size(); i > 1; --i)
    std::swap(replicas[i - 1], replicas[rng_.uniform(i)]);
  spec.assignments[0] = replicas;
  SeededRandom placement(o_.seed);
  auto planned = controller::metadata::plan_create_topics(builder_.current(), {spec}, false,
                                                          config_, placement);
  FERRY_ASSERT(!planned.reply.empty() && planned.reply[0].error == ErrorCode::NONE, "sim topic: {}",
               planned.reply.empty() ? "no reply" : planned.reply[0].message);
  apply(planned.records, "create topic");
}

// ---- the controller ----------------------------------------------------------------------------

const controller::metadata::PartitionRegistration* Sim::registration() const {
  const auto* topic = builder_.current().topic(kTopic);
  return topic == nullptr ? nullptr : &topic->partitions.at(0);
}

void Sim::apply(const controller::metadata::Records& records, const std::string& why) {
  if (records.empty()) return;
  std::optional<controller::metadata::PartitionRegistration> before;
  if (const auto* r = registration()) before = *r;
  offset_ = offset_ + 1;
  Status applied = builder_.apply(offset_, records);
  FERRY_ASSERT(applied.ok(), "sim controller: {}", applied.error().to_string());
  const auto* after = registration();
  check_leaders_from_isr(before ? &*before : nullptr, after);
  if (after != nullptr && (!before || *before != *after)) {
    trace(fmt::format("controller {}: leader {} epoch {} isr [{}] partition epoch {}", why,
                      after->leader, after->leader_epoch, fmt::join(after->isr, ","),
                      after->partition_epoch));
    if (before && before->leader != after->leader) ++result_.leader_changes;
  }
  push_images();
}

void Sim::check_leaders_from_isr(const controller::metadata::PartitionRegistration* before,
                                 const controller::metadata::PartitionRegistration* after) {
  if (before == nullptr || after == nullptr || after->leader == before->leader ||
      after->leader == kNoNode) {
    return;
  }
  if (std::find(before->isr.begin(), before->isr.end(), after->leader) == before->isr.end()) {
    fail(fmt::format("leader {} elected from outside the ISR [{}]", after->leader,
                     fmt::join(before->isr, ",")));
  }
}

controller::BrokerRegistrationReply Sim::on_register(
    const controller::BrokerRegistrationRequest& request) {
  auto planned = controller::metadata::plan_register_broker(
      builder_.current(), request, offset_ + 1, config_, sessions_, scheduler_.now_ms());
  apply(planned.records, fmt::format("register broker {}", request.broker_id));
  planned.reply.committed_offset = offset_;
  return planned.reply;
}

controller::BrokerHeartbeatReply Sim::on_heartbeat(
    const controller::BrokerHeartbeatRequest& request) {
  auto planned = controller::metadata::plan_broker_heartbeat(builder_.current(), request, config_,
                                                             sessions_, scheduler_.now_ms());
  apply(planned.records, fmt::format("heartbeat of broker {}", request.broker_id));
  planned.reply.metadata_offset = offset_;
  return planned.reply;
}

controller::AlterPartitionReply Sim::on_alter_partition(
    const controller::AlterPartitionRequest& request) {
  auto planned = controller::metadata::plan_alter_partition(builder_.current(), request);
  apply(planned.records, fmt::format("alter partition from {}", request.broker_id));
  planned.reply.committed_offset = offset_;
  return planned.reply;
}

void Sim::controller_tick() {
  scheduler_.after(kControllerTickMs, kController, [this] { controller_tick(); });
  if (!controller_available()) return;
  if (controller_resume_pending_) {
    // A new active controller: sessions count from one election timeout ago (see
    // controller/quorum/quorum_controller.h, "Heartbeats and broker leases").
    controller_resume_pending_ = false;
    sessions_.reset(builder_.current(), scheduler_.now_ms() - kElectionTimeoutMs / 2);
    trace("controller failover done: sessions reset");
  }
  const auto expired = sessions_.first_expired(builder_.current(), scheduler_.now_ms());
  if (!expired) return;
  controller::metadata::Records records;
  if (o_.bug == SimBug::kElectOutsideIsr) {
    controller::metadata::CommandConfig unclean = config_;
    unclean.unclean_leader_election = true;
    records = controller::metadata::plan_fence_broker(builder_.current(), *expired, unclean);
  } else {
    records = controller::metadata::plan_fence_broker(builder_.current(), *expired, config_);
  }
  apply(records, fmt::format("fence broker {}", *expired));
}

void Sim::push_images() {
  const auto image = builder_.publish();
  for (auto& n : nodes_) {
    if (!n.alive) continue;
    const int id = n.id;
    const uint64_t generation = scheduler_.generation(id);
    send(kController, id, [this, id, generation, image] {
      BrokerNode& target = node(id);
      if (target.alive && target.current->generation == generation) {
        target.current->metadata->deliver(image);
      }
    });
  }
}

// ---- network, disks, load, faults -------------------------------------------------------------

void Sim::send(int from, int to, std::function<void()> fn, std::optional<uint64_t> to_generation) {
  auto cut = [&](int a, int b) {
    if (a == kClient || b == kClient) return false;
    if (isolated_.contains(a) || isolated_.contains(b)) return true;
    return (a == kController && ctrl_cut_.contains(b)) ||
           (b == kController && ctrl_cut_.contains(a));
  };
  if (!healing_ && (cut(from, to) || rng_.chance(o_.loss))) return;
  int64_t delay = rng_.range(o_.min_delay_ms, o_.max_delay_ms);
  if (!healing_ && rng_.chance(o_.slow_chance))
    delay += rng_.range(o_.slow_delay_ms / 2, o_.slow_delay_ms);
  const int64_t at = scheduler_.now_ms() + delay;
  if (to_generation) {
    scheduler_.at_generation(at, to, *to_generation, std::move(fn));
  } else {
    scheduler_.at(at, to, std::move(fn));
  }
}

void Sim::disk_tick(int broker) {
  int64_t delay = rng_.range(0, o_.disk_max_ms);
  if (rng_.chance(o_.disk_slow_chance)) delay += o_.disk_slow_ms;
  scheduler_.after(delay, broker, [this, broker] {
    BrokerNode& n = node(broker);
    if (!n.alive) return;
    n.current->broker->partitions().flush_queued();
    disk_tick(broker);
  });
}

void Sim::produce(bool final_write) {
  const int64_t id = next_id_++;
  const Acks acks = final_write || !rng_.chance(o_.acks_one_share) ? Acks::kAll : Acks::kLeader;
  if (final_write) final_id_ = id;
  // The client routes by the metadata of a random live broker (possibly stale), as a client
  // would after its last metadata refresh.
  std::vector<int> live;
  for (auto& n : nodes_)
    if (n.alive) live.push_back(n.id);
  if (live.empty()) return;
  const int asked = live[rng_.uniform(live.size())];
  const auto image = node(asked).current->metadata->image();
  const auto* topic = image->topic(kTopic);
  int target = topic != nullptr ? topic->partitions[0].leader.value() : asked;
  if (target < 1) target = asked;
  ++result_.produced;
  outstanding_.insert(id);
  send(kClient, target, [this, target, id, acks] { on_produce(target, id, acks); });
}

void Sim::on_produce(int target, int64_t id, Acks acks) {
  BrokerNode& n = node(target);
  auto reply = [this, target, id, acks](ErrorCode code, Offset offset) {
    send(target, kClient,
         [this, id, acks, code, offset] { on_produce_answer(id, acks, code, offset); });
  };
  auto p = n.partition();
  if (!p) return reply(ErrorCode::NOT_LEADER_OR_FOLLOWER, Offset(-1));
  Bytes batch = storage::RecordBatchBuilder().add(std::nullopt, "v", id).build();
  auto appended = p->append(std::span<uint8_t>(batch), acks);
  if (!appended.ok()) return reply(appended.code(), Offset(-1));
  const Offset offset = appended->result.base_offset;
  trace(fmt::format("broker {} appended id {} at {} (acks={})", target, id, offset,
                    static_cast<int>(acks)));
  n.current->broker->partitions().request_flush(p);
  if (acks == Acks::kLeader) return reply(ErrorCode::NONE, offset);
  p->wait_for_high_watermark(appended->needed_end, 2000,
                             [reply, offset](ErrorCode code) { reply(code, offset); });
}

void Sim::on_produce_answer(int64_t id, Acks acks, ErrorCode code, Offset offset) {
  outstanding_.erase(id);
  if (code != ErrorCode::NONE) return;
  const bool counts = acks == Acks::kAll || o_.bug == SimBug::kTrustAcksOne;
  if (!counts) return;
  acked_[id] = offset.value();
  ++result_.acked;
  if (id == final_id_) final_acked_ = true;
  trace(fmt::format("client: id {} acknowledged at {}", id, offset));
  // Committed at that offset by now: some replica's HW covers it (the leader's did).
  for (auto& n : nodes_)
    scan_replica(n);
  const auto it = committed_.find(offset.value());
  if (it == committed_.end() || it->second != id) {
    // Not (yet) seen below a live replica's HW: allowed only while no live replica has reached
    // it, and then it must hold this id, checked at the end.
    if (it != committed_.end()) {
      fail(fmt::format("id {} acknowledged at offset {} but offset {} holds committed id {}", id,
                       offset, offset, it->second));
    }
  }
}

void Sim::consume() {
  for (auto& n : nodes_) {
    auto p = n.partition();
    if (!p || !p->is_leader()) continue;
    const Offset hw = p->high_watermark();
    Offset at = p->log_start_offset();
    while (at < hw) {
      auto read = p->read(at, 1 << 16);
      if (!read.ok() || read->slice.length == 0) break;
      auto bytes = read->slice.copy_to_memory();
      if (!bytes.ok()) break;
      for (const auto& [offset, id] : records_of(*bytes)) {
        if (offset >= hw.value()) {
          fail(fmt::format("consumer read offset {} at or above broker {}'s HW {}", offset, n.id,
                           hw));
        }
        const auto c = committed_.find(offset);
        if (c != committed_.end() && c->second != id) {
          fail(fmt::format("consumer read id {} at offset {} where id {} was committed", id, offset,
                           c->second));
        }
        at = Offset(offset + 1);
      }
    }
  }
}

void Sim::fault() {
  const int b = static_cast<int>(rng_.range(1, o_.brokers));
  BrokerNode& n = node(b);
  const double roll = rng_.next_double();
  if (roll < 0.4) {
    if (!n.alive) return;
    // Prefer killing the leader now and then: that is what moves leadership.
    int victim = b;
    if (const auto* r = registration();
        r && r->leader.value() > 0 && rng_.chance(0.5) && node(r->leader.value()).alive) {
      victim = r->leader.value();
    }
    crash_broker(node(victim));
    node(victim).restart_at_ms = scheduler_.now_ms() + rng_.range(100, o_.max_down_ms);
  } else if (roll < 0.6) {
    if (!isolated_.empty()) return;
    isolated_.insert(b);
    ++result_.isolations;
    trace(fmt::format("broker {} isolated from every broker and the controller", b));
    scheduler_.after(rng_.range(200, o_.max_down_ms), kController, [this, b] {
      isolated_.erase(b);
      trace(fmt::format("broker {} reconnected", b));
    });
  } else if (roll < 0.75) {
    if (ctrl_cut_.contains(b)) return;
    ctrl_cut_.insert(b);
    trace(fmt::format("broker {} cut off from the controller", b));
    scheduler_.after(rng_.range(200, o_.max_down_ms), kController, [this, b] {
      ctrl_cut_.erase(b);
      trace(fmt::format("broker {} reaches the controller again", b));
    });
  } else if (roll < 0.85) {
    if (!controller_available()) return;
    const int64_t pause = rng_.range(kElectionTimeoutMs, 2 * kElectionTimeoutMs);
    controller_paused_until_ = scheduler_.now_ms() + pause;
    controller_resume_pending_ = true;
    trace(fmt::format("controller failover: no answers for {} ms", pause));
  } else {
    // A burst of produces.
    for (int i = 0; i < 20; ++i)
      produce(false);
  }
}

void Sim::schedule_faults() {
  scheduler_.after(rng_.range(o_.fault_every_ms / 2, o_.fault_every_ms * 3 / 2), kController,
                   [this] {
                     if (healing_) return;
                     fault();
                     schedule_faults();
                   });
}

// ---- checking ---------------------------------------------------------------------------------

std::map<int64_t, int64_t> Sim::read_log(Partition& p, Offset end) {
  std::map<int64_t, int64_t> out;
  Offset at = p.log_start_offset();
  while (at < end) {
    auto read = p.log().read(at, 1 << 16, end);
    if (!read.ok() || read->slice.length == 0) break;
    auto bytes = read->slice.copy_to_memory();
    if (!bytes.ok()) break;
    const auto records = records_of(*bytes);
    if (records.empty()) break;
    for (const auto& [offset, id] : records)
      out[offset] = id;
    at = Offset(records.rbegin()->first + 1);
  }
  return out;
}

// Everything below a replica's own HW is committed: it must agree with what any replica saw
// committed before (an offset never holds two records).
void Sim::scan_replica(BrokerNode& n) {
  auto p = n.partition();
  if (!p) return;
  const Offset hw = p->high_watermark();
  const Offset leo = p->log_end_offset();
  if (hw == n.scanned_hw && leo == n.scanned_leo) return;
  if (n.scanned_leo.value() >= 0 && leo < n.scanned_leo) ++result_.truncations;
  n.scanned_hw = hw;
  n.scanned_leo = leo;
  if (hw > leo) fail(fmt::format("broker {} has HW {} above its log end {}", n.id, hw, leo));
  for (const auto& [offset, id] : read_log(*p, hw)) {
    const auto [it, added] = committed_.emplace(offset, id);
    if (!added && it->second != id) {
      fail(
          fmt::format("offset {} holds id {} on broker {} (below its HW {}) but id {} was "
                      "committed there before",
                      offset, id, n.id, hw, it->second));
    }
  }
}

void Sim::check() {
  int leaders = 0;
  std::string who;
  for (auto& n : nodes_) {
    scan_replica(n);
    auto p = n.partition();
    if (!p || !p->is_leader()) continue;
    ++leaders;
    who += fmt::format(" {} (epoch {})", n.id, p->leader_epoch());
    if (p->check_high_watermark_current() == ErrorCode::NONE) {
      const int64_t hw = p->high_watermark().value();
      if (hw < max_served_hw_) {
        fail(fmt::format("leader {} serves HW {} below the {} served before", n.id, hw,
                         max_served_hw_));
      }
      max_served_hw_ = hw;
    }
  }
  if (leaders > 1) fail("more than one broker acts as leader:" + who);
  for (const auto& [id, offset] : acked_) {
    const auto it = committed_.find(offset);
    if (it != committed_.end() && it->second != id) {
      fail(fmt::format("acknowledged id {} at offset {} was replaced by id {}", id, offset,
                       it->second));
    }
  }
}

bool Sim::healed_and_live() const {
  const auto* r = registration();
  if (r == nullptr || r->leader == kNoNode || r->isr.size() != r->replicas.size()) return false;
  for (const auto& n : nodes_) {
    if (!n.alive) return false;
  }
  return final_acked_;
}

void Sim::final_checks() {
  const auto* r = registration();
  BrokerNode& leader = node(r->leader.value());
  auto p = leader.partition();
  if (!p) fail("the final leader hosts no partition");
  const auto log = read_log(*p, p->log_end_offset());
  for (const auto& [id, offset] : acked_) {
    const auto it = log.find(offset);
    if (it == log.end() || it->second != id) {
      fail(
          fmt::format("acknowledged id {} at offset {} is missing from the final leader {}'s "
                      "log{}",
                      id, offset, leader.id,
                      it == log.end() ? "" : fmt::format(" (offset holds id {})", it->second)));
    }
  }
}

// ---- the run ----------------------------------------------------------------------------------

SimResult Sim::run() {
  const int64_t chaos_end = o_.chaos_ms;
  try {
    scheduler_.after(0, kController, [this] { controller_tick(); });
    std::function<void()> push_loop = [this, &push_loop] {
      if (controller_available()) push_images();
      scheduler_.after(kImagePushMs, kController, push_loop);
    };
    scheduler_.after(kImagePushMs, kController, push_loop);
    for (auto& n : nodes_)
      start_broker(n);
    // Until every broker is registered and unfenced, then the topic.
    while (scheduler_.now_ms() < 10'000) {
      scheduler_.run_next(scheduler_.now_ms() + 10);
      const auto& brokers = builder_.current().brokers;
      if (brokers.size() == nodes_.size() &&
          std::all_of(brokers.begin(), brokers.end(), [](auto& b) { return !b.second.fenced; })) {
        break;
      }
    }
    create_topic();
    const int64_t start = scheduler_.now_ms();
    std::function<void()> load = [this, &load] {
      if (!healing_) produce(false);
      scheduler_.after(rng_.range(1, 2 * o_.produce_every_ms), kClient, load);
    };
    scheduler_.after(0, kClient, load);
    std::function<void()> reader = [this, &reader] {
      consume();
      scheduler_.after(100, kClient, reader);
    };
    scheduler_.after(100, kClient, reader);
    std::function<void()> restarts = [this, &restarts] {
      for (auto& n : nodes_) {
        if (!n.alive && n.restart_at_ms >= 0 && scheduler_.now_ms() >= n.restart_at_ms) {
          n.restart_at_ms = -1;
          start_broker(n);
        }
      }
      scheduler_.after(20, kController, restarts);
    };
    scheduler_.after(20, kController, restarts);
    schedule_faults();
    while (scheduler_.now_ms() < start + chaos_end) {
      scheduler_.run_next(start + chaos_end);
      check();
    }
    // Heal: everyone up and connected, no loss; then one final acks=all write must commit.
    healing_ = true;
    isolated_.clear();
    ctrl_cut_.clear();
    for (auto& n : nodes_) {
      if (!n.alive) {
        n.restart_at_ms = -1;
        start_broker(n);
      }
    }
    trace("healed: all brokers up and connected");
    const int64_t heal_start = scheduler_.now_ms();
    int64_t next_final = heal_start;
    while (!healed_and_live()) {
      if (scheduler_.now_ms() - heal_start > o_.heal_timeout_ms) {
        const auto* r = registration();
        fail(
            fmt::format("no recovery within {} ms of healing: leader {} isr [{}] final write "
                        "{}",
                        o_.heal_timeout_ms, r ? r->leader.value() : -1,
                        r ? fmt::format("{}", fmt::join(r->isr, ",")) : "",
                        final_acked_ ? "acked" : "not acked"));
      }
      if (!final_acked_ && scheduler_.now_ms() >= next_final) {
        produce(true);
        next_final = scheduler_.now_ms() + 500;
      }
      scheduler_.run_next(scheduler_.now_ms() + 10);
      check();
    }
    final_checks();
  } catch (const Violation& v) {
    result_.ok = false;
    std::ostringstream out;
    out << v.what << "\n(weather: loss " << o_.loss << ", delay <= " << o_.max_delay_ms
        << " ms, fault every ~" << o_.fault_every_ms << " ms, "
        << (durable_ ? "fsync" : "page-cache") << " mode, min.insync.replicas " << min_insync_
        << ")\nlast events:\n";
    for (const auto& line : recent_)
      out << "  " << line << "\n";
    result_.failure = out.str();
  }
  result_.events = scheduler_.events();
  result_.virtual_ms = scheduler_.now_ms();
  return result_;
}

}  // namespace

std::string SimResult::summary() const {
  return fmt::format(
      "{} events, {} virtual ms, {} produced, {} acked, {} leader changes, {} crashes, {} "
      "isolations, {} truncations",
      events, virtual_ms, produced, acked, leader_changes, crashes, isolations, truncations);
}

SimResult run_simulation(const SimOptions& options) {
  Sim sim(options);
  return sim.run();
}

}  // namespace ferry::replication::sim
