// controller_bench: the controller quorum with three real `ferryd` processes
// (process.roles=controller) on 127.0.0.1.
//
//  1. Failover: kill -9 the active controller, then measure the time until a write is committed
//     by a new leader (a client retrying every few milliseconds), over --trials trials (the
//     killed voter is restarted and caught up between trials). Reported as p50/p99/min/max next
//     to the configured election timeout.
//  2. Commit throughput with 3 voters: --concurrency writes kept in flight by one gRPC client for
//     --seconds, as 1-record entries (cluster config changes) and 5-record entries (topics with 4
//     partitions). Reported as entries/s and records/s with latency percentiles, next to the
//     disk's raw fdatasync rate in the same directory (each Raft Ready is one synced RocksDB
//     write per voter, so that rate bounds the number of Readies, not of entries).
//
//   build-<x>/bench/controller_bench [--trials 20] [--election-timeout-ms 1000]
//       [--heartbeat-ms 100] [--seconds 10] [--concurrency 64] [--dir /var/tmp]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "controller/grpc/metadata_follower.h"
#include "controller/grpc/remote_api.h"
#include "tests/controller/process/ferryd_cluster.h"

using namespace ferry;
using namespace ferry::controller;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  int trials = 20;
  int64_t election_timeout_ms = 1000;
  int64_t heartbeat_ms = 100;
  int seconds = 10;
  int concurrency = 64;
  std::string dir = std::filesystem::temp_directory_path().string();
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--trials")
      a.trials = std::stoi(v);
    else if (k == "--election-timeout-ms")
      a.election_timeout_ms = std::stoll(v);
    else if (k == "--heartbeat-ms")
      a.heartbeat_ms = std::stoll(v);
    else if (k == "--seconds")
      a.seconds = std::stoi(v);
    else if (k == "--concurrency")
      a.concurrency = std::stoi(v);
    else if (k == "--dir")
      a.dir = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

double ms_since(SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

template <typename T>
T await(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  return future.get();  // RemoteControllerApi always calls back within its request timeout
}

AlterConfigsSpec config_change(int64_t value) {
  AlterConfigsSpec s;
  s.type = ConfigResourceType::kBroker;
  s.name = "";
  s.changes = {{"log.retention.ms", ConfigOp::kSet, std::to_string(value)}};
  return s;
}

bool write_once(RemoteControllerApi& api, int64_t value) {
  auto r = await<std::vector<AlterConfigsResult>>(
      [&](auto cb) { api.alter_configs({config_change(value)}, false, cb); });
  return r.at(0).error == ErrorCode::NONE;
}

bool all_caught_up(const controller::test::ControllerProcessCluster& cluster) {
  auto d = cluster.describe(500);
  if (!d.ok() || d->voters.size() != 3) return false;
  for (const auto& v : d->voters) {
    if (v.log_end_offset < d->high_watermark) return false;
  }
  return true;
}

// ---- 1. Failover ------------------------------------------------------------------------------

void failover(const Args& args, controller::test::ControllerProcessCluster& cluster) {
  RemoteControllerApi::Options o;
  o.request_timeout_ms = 100;
  o.attempt_timeout_ms = 100;
  o.min_backoff_ms = 2;
  o.max_backoff_ms = 10;
  RemoteControllerApi api(*parse_voters(cluster.voter_entries()), o);
  int64_t value = 1;
  std::vector<double> failover_ms;
  for (int trial = 0; trial < args.trials; ++trial) {
    if (!ferry::test::eventually([&] { return all_caught_up(cluster) && write_once(api, value++); },
                                 60000, 20)) {
      std::fprintf(stderr, "trial %d: the quorum did not recover\n%s", trial,
                   cluster.log_tails().c_str());
      std::exit(1);
    }
    const int leader = cluster.describe()->leader_id.value();
    const auto killed = SteadyClock::now();
    cluster.kill9(leader);
    while (!write_once(api, value++)) {
    }
    const double ms = ms_since(killed);
    failover_ms.push_back(ms);
    const int next = api.active_controller().value();
    std::printf("  trial %2d: killed leader %d, node %d committed a write after %7.1f ms\n",
                trial + 1, leader, next, ms);
    std::fflush(stdout);
    cluster.start(leader);
  }
  const double mean = std::accumulate(failover_ms.begin(), failover_ms.end(), 0.0) /
                      static_cast<double>(failover_ms.size());
  std::printf(
      "failover (kill -9 of the active controller -> a new leader commits a write), %d trials:\n"
      "  configured election timeout %lld ms (randomised in [T, 2T)), heartbeat %lld ms\n"
      "  p50 %.1f ms   p99 %.1f ms   min %.1f ms   max %.1f ms   mean %.1f ms\n"
      "  p50 / election timeout = %.2f\n",
      args.trials, static_cast<long long>(args.election_timeout_ms),
      static_cast<long long>(args.heartbeat_ms), percentile(failover_ms, 50),
      percentile(failover_ms, 99), percentile(failover_ms, 0), percentile(failover_ms, 100), mean,
      percentile(failover_ms, 50) / static_cast<double>(args.election_timeout_ms));
}

// ---- 2. Throughput ----------------------------------------------------------------------------

struct Load {
  std::string name;
  int records_per_entry;
  std::function<void(RemoteControllerApi&, int64_t, std::function<void(bool)>)> write;
};

void run_load(const Args& args, RemoteControllerApi& api, const Load& load) {
  std::mutex mutex;
  std::condition_variable done_cv;
  std::vector<double> latencies;
  std::atomic<int64_t> next{1};
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int> in_flight{0};
  const auto start = SteadyClock::now();
  const auto stop_at = start + std::chrono::seconds(args.seconds);
  std::function<void()> issue = [&] {
    if (SteadyClock::now() >= stop_at) return;
    ++in_flight;
    const auto sent = SteadyClock::now();
    load.write(api, next++, [&, sent](bool success) {
      const double ms = ms_since(sent);
      (success ? ok : failed)++;
      {
        std::lock_guard lock(mutex);
        if (success) latencies.push_back(ms);
      }
      issue();
      if (--in_flight == 0) done_cv.notify_all();
    });
  };
  for (int i = 0; i < args.concurrency; ++i)
    issue();
  {
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return in_flight == 0; });
  }
  const double seconds = ms_since(start) / 1000.0;
  const double entries = static_cast<double>(ok.load()) / seconds;
  std::printf(
      "  %-34s %8.0f entries/s %9.0f records/s   latency p50 %.1f ms p99 %.1f ms   "
      "(%lld failed)\n",
      load.name.c_str(), entries, entries * load.records_per_entry, percentile(latencies, 50),
      percentile(latencies, 99), static_cast<long long>(failed.load()));
}

double fdatasync_rate(const std::string& dir) {
  const auto path = std::filesystem::path(dir) / "fsync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  char block[4096];
  std::memset(block, 'x', sizeof block);
  int count = 0;
  const auto start = SteadyClock::now();
  while (ms_since(start) < 2000) {
    if (::write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block)) break;
    ::fdatasync(fd);
    ++count;
  }
  const double rate = count / (ms_since(start) / 1000.0);
  ::close(fd);
  std::filesystem::remove(path);
  return rate;
}

void register_broker(RemoteControllerApi& api, MetadataSource& metadata, std::atomic<bool>& beating,
                     std::thread& heart) {
  BrokerRegistrationRequest r;
  r.broker_id = NodeId(100);
  SeededRandom random(seed_from_env());
  r.incarnation_id = Uuid::random(random);
  r.endpoints = {metadata::Endpoint{"PLAINTEXT", "127.0.0.1", 9092}};
  auto reply = await<BrokerRegistrationReply>([&](auto cb) { api.register_broker(r, cb); });
  heart = std::thread([&api, &metadata, &beating, epoch = reply.broker_epoch] {
    while (beating) {
      BrokerHeartbeatRequest hb;
      hb.broker_id = NodeId(100);
      hb.broker_epoch = epoch;
      hb.current_metadata_offset = metadata.image()->offset;
      (void)await<BrokerHeartbeatReply>([&](auto cb) { api.broker_heartbeat(hb, cb); });
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the heartbeat interval
    }
  });
}

void throughput(const Args& args, controller::test::ControllerProcessCluster& cluster) {
  auto voters = *parse_voters(cluster.voter_entries());
  RemoteControllerApi api(voters);
  MetadataFollower follower(voters);
  follower.start();
  std::atomic<bool> beating{true};
  std::thread heart;
  register_broker(api, follower, beating, heart);
  ferry::test::eventually(
      [&] {
        return !follower.image()->brokers.empty() &&
               !follower.image()->brokers.begin()->second.fenced;
      },
      10000);
  std::printf("commit throughput, 3 voters, %d writes in flight, %d s each:\n", args.concurrency,
              args.seconds);
  run_load(args, api,
           Load{"config change (1 record/entry)", 1,
                [](RemoteControllerApi& a, int64_t n, std::function<void(bool)> done) {
                  a.alter_configs({config_change(n)}, false,
                                  [done](auto r) { done(r.at(0).error == ErrorCode::NONE); });
                }});
  run_load(args, api,
           Load{"create topic, 4 partitions (5 rec)", 5,
                [](RemoteControllerApi& a, int64_t n, std::function<void(bool)> done) {
                  CreateTopicSpec s;
                  s.name = "bench-" + std::to_string(n);
                  s.num_partitions = 4;
                  s.replication_factor = 1;
                  a.create_topics({s}, false,
                                  [done](auto r) { done(r.at(0).error == ErrorCode::NONE); });
                }});
  beating = false;
  heart.join();
  follower.stop();
  std::printf(
      "  reference: raw 4 KiB write+fdatasync in %s: %.0f/s (one per Raft Ready per voter)\n",
      args.dir.c_str(), fdatasync_rate(args.dir));
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const auto dir =
      std::filesystem::path(args.dir) / ("ferry-controller-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    controller::test::ControllerProcessCluster cluster(
        3, dir,
        {{"controller.quorum.election.timeout.ms", std::to_string(args.election_timeout_ms)},
         {"controller.quorum.heartbeat.interval.ms", std::to_string(args.heartbeat_ms)},
         {"log.level", "warn"}});
    if (!cluster.start_all() || cluster.wait_for_leader(30000) < 0) {
      std::fprintf(stderr, "the quorum did not start\n%s", cluster.log_tails().c_str());
      return 1;
    }
    std::printf("controller_bench: 3 ferryd controller processes in %s\n", dir.c_str());
    failover(args, cluster);
    throughput(args, cluster);
    for (int id = 1; id <= 3; ++id)
      cluster.process(id).terminate(10000);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
