#!/usr/bin/env bash
# Ferry developer entry point. Every sub-command is idempotent and starts by making sure the
# Debian packages Ferry needs are installed, so each works on a fresh Debian 12 machine (as root).
#
#   deploy/dev.sh run  [ferryd args...]   set up, build (Release) and run ferryd on embedded defaults
#   deploy/dev.sh test [ctest args...]    set up, build (warnings as errors) and run the whole test suite
#   deploy/dev.sh asan [ctest args...]    the same tests against an ASan/UBSan build (build-asan/)
#   deploy/dev.sh tsan [ctest args...]    the process and interop tests (by default) against a
#                                         ThreadSanitizer build (build-tsan/)
#   deploy/dev.sh fuzz [seconds]          build the libFuzzer targets with clang and run each
#   deploy/dev.sh build [release|debug|asan]   only set up and build
#   deploy/dev.sh deps                    only install missing Debian packages
#
# Environment: FERRY_BUILD_DIR overrides the build folder; FERRY_JOBS the build parallelism.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${FERRY_JOBS:-$(nproc)}

# One list of the Debian packages Ferry builds, tests and benchmarks with.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3 clang-format
  libboost-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  librocksdb-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev librdkafka-dev
  kcat python3-confluent-kafka python3-kafka nodejs npm clang libclang-rt-14-dev
  nlohmann-json3-dev iproute2
)

log() { printf '[dev.sh] %s\n' "$*" >&2; }

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      # nodejs from nodesource already ships npm; do not fight it.
      if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_dir_for() {
  case "$1" in
    release) echo "${FERRY_BUILD_DIR:-$ROOT/build}" ;;
    debug) echo "${FERRY_BUILD_DIR:-$ROOT/build-debug}" ;;
    asan) echo "${FERRY_BUILD_DIR:-$ROOT/build-asan}" ;;
    tsan) echo "${FERRY_BUILD_DIR:-$ROOT/build-tsan}" ;;
    *) log "unknown build kind '$1' (release|debug|asan|tsan)"; exit 2 ;;
  esac
}

# build <release|debug|asan> [targets...]: configure once, then build (everything by default).
build() {
  local kind=$1
  shift
  local dir
  dir=$(build_dir_for "$kind")
  local args=(-G Ninja -S "$ROOT" -B "$dir" -DFERRY_WERROR=ON)
  case "$kind" in
    release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
    debug) args+=(-DCMAKE_BUILD_TYPE=Debug) ;;
    asan) args+=(-DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON) ;;
    tsan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_TSAN=ON -DFERRY_BUILD_BENCH=OFF) ;;
  esac
  if [ ! -f "$dir/build.ninja" ]; then
    cmake "${args[@]}" >&2 || exit 1
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  # `dir=$(build ...)` runs this in a subshell, where set -e does not stop at a failed command:
  # exit explicitly, or a failed build would go on to run the tests of the last one.
  cmake --build "$dir" -j "$JOBS" "${targets[@]}" >&2 || exit 1
  echo "$dir"
}

run_tests() {
  local dir=$1
  shift
  # Interop tests need the JavaScript clients; installed from the lockfile, offline-safe.
  if [ -f "$ROOT/tests/interop/js/package-lock.json" ]; then
    (cd "$ROOT/tests/interop/js" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j "$JOBS" "$@")
}

cmd=${1:-}
shift || true
case "$cmd" in
  deps) install_deps ;;
  build) install_deps; build "${1:-release}" >/dev/null ;;
  run)
    install_deps
    dir=$(build release ferryd ferry)
    exec "$dir/broker/ferryd" "$@"
    ;;
  test)
    install_deps
    dir=$(build release)
    run_tests "$dir" "$@"
    ;;
  asan)
    install_deps
    dir=$(build asan)
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_tests "$dir" "$@"
    ;;
  tsan)
    install_deps
    dir=$(build tsan)
    # halt_on_error: a data race fails the test that hit it (ferryd exits 66, and the process
    # tests report a ferryd that died by itself). Without arguments: the tests that run ferryd.
    # librdkafka crashes under the TSan runtime (its threads, not Ferry's), so the tests that
    # run it inside a TSan-built process are left out, and the interop tests use the `ferry`
    # CLI of the release build.
    [ $# -gt 0 ] || set -- -L "process|interop" \
      -E "^(cli_mock_process_test|cli_ferryd_process_test|librdkafka_interop_test)$"
    FERRY_CLI="$(build release ferry)/cli/ferry"
    export FERRY_CLI
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$ROOT/deploy/tsan.supp" \
      run_tests "$dir" "$@"
    ;;
  fuzz)
    install_deps
    seconds=${1:-60}
    dir=${FERRY_BUILD_DIR:-$ROOT/build-fuzz}
    if [ ! -f "$dir/build.ninja" ]; then
      CC=clang CXX=clang++ cmake -G Ninja -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFERRY_FUZZ=ON -DFERRY_BUILD_BENCH=OFF >&2
    fi
    cmake --build "$dir" -j "$JOBS" --target request_frame_fuzzer record_batch_fuzzer >&2
    for fuzzer in request_frame_fuzzer record_batch_fuzzer; do
      corpus="$dir/corpus/$fuzzer"
      mkdir -p "$corpus"
      log "running $fuzzer for ${seconds}s (corpus $corpus)"
      "$dir/tests/fuzz/$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus"
    done
    ;;
  *)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
