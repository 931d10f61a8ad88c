#!/usr/bin/env bash
# A local Ferry cluster of N nodes (default 3) on 127.0.0.1, each running both roles
# (broker + controller voter), data under ./ferry-cluster/node-<id>.
#
#   deploy/local-cluster.sh start [N]   build if needed, start the nodes, wait until all serve
#   deploy/local-cluster.sh status      show the quorum and the brokers
#   deploy/local-cluster.sh stop        SIGTERM every node (graceful)
#   deploy/local-cluster.sh kill ID     kill -9 one node (to watch failover)
#   deploy/local-cluster.sh restart ID  start one stopped/killed node again
#
# Ports: node i serves Kafka on 19092+10*i and its controller quorum on 19093+10*i.
# With 3+ nodes, topics default to replication factor 3 and min.insync.replicas=2 (any one node
# can die while acks=all writes go on); with fewer, to the node count and 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FERRY_BUILD_DIR:-$ROOT/build}
DIR=${FERRY_CLUSTER_DIR:-$PWD/ferry-cluster}

kafka_port() { echo $((19092 + $1 * 10)); }
ctrl_port() { echo $((19093 + $1 * 10)); }
count() { cat "$DIR/size" 2>/dev/null || echo 3; }

voters() {
  local n=$1 out=""
  for i in $(seq 1 "$n"); do out+="${out:+,}$i@127.0.0.1:$(ctrl_port "$i")"; done
  echo "$out"
}

start_node() {
  local i=$1 n
  n=$(count)
  mkdir -p "$DIR/node-$i"
  "$BUILD/broker/ferryd" \
    --override node.id="$i" \
    --override "listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$i"),CONTROLLER://127.0.0.1:$(ctrl_port "$i")" \
    --override "controller.quorum.voters=$(voters "$n")" \
    --override "log.dirs=$DIR/node-$i/data" \
    --override "default.replication.factor=$(( n >= 3 ? 3 : n ))" \
    --override "min.insync.replicas=$(( n >= 3 ? 2 : 1 ))" \
    >>"$DIR/node-$i/ferryd.log" 2>&1 &
  echo $! >"$DIR/node-$i/pid"
  echo "node $i: pid $!, Kafka 127.0.0.1:$(kafka_port "$i"), controller 127.0.0.1:$(ctrl_port "$i"), log $DIR/node-$i/ferryd.log"
}

wait_serving() {
  local i=$1
  for _ in $(seq 1 300); do
    if kcat -L -b "127.0.0.1:$(kafka_port "$i")" -m 1 >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "node $i did not start serving within 30 s; see $DIR/node-$i/ferryd.log" >&2
  return 1
}

# Whether pid is a live process (an exited node that nobody reaped yet is a zombie: not live).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

brokers() {
  local n out=""
  n=$(count)
  for i in $(seq 1 "$n"); do out+="${out:+,}127.0.0.1:$(kafka_port "$i")"; done
  echo "$out"
}

cmd=${1:-}
case "$cmd" in
  start)
    n=${2:-3}
    [ -x "$BUILD/broker/ferryd" ] || "$ROOT/deploy/dev.sh" build
    mkdir -p "$DIR"
    echo "$n" >"$DIR/size"
    for i in $(seq 1 "$n"); do start_node "$i"; done
    for i in $(seq 1 "$n"); do wait_serving "$i"; done
    echo "cluster up. Try: FERRY_BROKERS=$(brokers) $BUILD/cli/ferry cluster info"
    ;;
  status)
    n=$(count)
    controllers=""
    for i in $(seq 1 "$n"); do controllers+="${controllers:+,}127.0.0.1:$(ctrl_port "$i")"; done
    "$BUILD/cli/ferry" cluster quorum --controllers "$controllers" || true
    "$BUILD/cli/ferry" cluster info --brokers "$(brokers)" || true
    ;;
  stop)
    # SIGTERM is a graceful stop (requests drain, logs close cleanly); wait for every node.
    for f in "$DIR"/node-*/pid; do
      [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    status=0
    for f in "$DIR"/node-*/pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      node=$(basename "$(dirname "$f")")
      for _ in $(seq 1 600); do
        running "$pid" || break
        sleep 0.1
      done
      if running "$pid"; then
        echo "$node (pid $pid) did not stop within 60 s; see $DIR/$node/ferryd.log" >&2
        status=1
      fi
    done
    [ "$status" -eq 0 ] && echo "stopped"
    exit "$status"
    ;;
  kill)
    kill -9 "$(cat "$DIR/node-$2/pid")"
    echo "node $2 killed"
    ;;
  restart)
    start_node "$2"
    wait_serving "$2"
    ;;
  *)
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
