#!/usr/bin/env python3
"""The include layering of ARCHITECTURE.md section 2, checked over every tracked C/C++ file.

    common <- storage <- replication <- broker
    common <- controller/raft <- controller <- broker
    replication and controller never include each other; storage knows no protocol.
    broker/ sees of the controller only its plain-C++ API (controller_api.h, metadata/image.h)
    and, in main.cc, the role it starts (server.h).
    cli/ includes common/ and the generated proto stubs (its describe-quorum client) only: none
    of the controller's code.
    The pure cores (the Raft core, replication's leader/follower state, acks policy and waiter
    queue) include only common/ (and storage/'s pure epoch cache) and no Asio, gRPC, RocksDB,
    thread, mutex or clock header.

Usage: layering_check.py <repository root>. Prints every violation as file:line and exits 1, or
prints a one-line summary and exits 0. (The same rules, drawn: ../shared/design/house.json.)
"""
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# module -> modules (by path prefix) it may include; the first matching module wins, so the more
# specific prefixes come first.
MODULES = [
    ("controller/raft/", {"common/", "controller/raft/"}),
    ("controller/", {"common/", "controller/", "proto/"}),
    ("common/", {"common/"}),
    ("storage/", {"common/", "storage/"}),
    ("replication/", {"common/", "storage/", "replication/"}),
    ("broker/", {"common/", "storage/", "replication/", "broker/", "proto/"}),
    ("cli/", {"common/", "cli/", "proto/"}),
    ("bench/", None),  # benchmarks and tests may include anything
    ("tests/", None),
]

# Exceptions by (module, included file).
ALLOWED = {
    ("broker/", "controller/controller_api.h"),
    ("broker/", "controller/metadata/image.h"),
}
# broker/main.cc starts the controller role of a combined node.
ALLOWED_FILES = {("broker/main.cc", "controller/server.h")}

PURE_CORES = [
    "controller/raft/",
    "replication/leader_state.",
    "replication/follower_state.",
    "replication/acks_policy.",
    "replication/waiter_queue.",
    "replication/assignment.h",
]
PURE_MAY_INCLUDE_FROM_STORAGE = {"storage/leader_epoch_cache.h"}
FORBIDDEN_IN_PURE = re.compile(
    r"^(boost/|asio|grpc|grpcpp/|rocksdb/|thread$|mutex$|condition_variable$|chrono$|future$|"
    r"common/clock\.h$|common/executor\.h$)")


def module_of(path):
    for prefix, allowed in MODULES:
        if path.startswith(prefix):
            return prefix, allowed
    return None, None


def check_file(path, lines):
    problems = []
    prefix, allowed = module_of(path)
    pure = any(path.startswith(p) for p in PURE_CORES)
    for number, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        kind, target = m.groups()
        if pure and FORBIDDEN_IN_PURE.match(target):
            problems.append(f"{path}:{number}: pure core includes <{target}>")
        if kind != '"' or allowed is None:
            continue
        if pure and target.startswith("storage/") and target not in PURE_MAY_INCLUDE_FROM_STORAGE:
            problems.append(f"{path}:{number}: pure core includes {target}")
        if any(target.startswith(a) for a in allowed):
            continue
        if (prefix, target) in ALLOWED or (path, target) in ALLOWED_FILES:
            continue
        problems.append(f"{path}:{number}: {prefix} may not include {target}")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = subprocess.run(["git", "-C", root, "ls-files", "*.cc", "*.h"], check=True,
                           capture_output=True, text=True).stdout.split()
    problems = []
    for path in files:
        try:
            with open(f"{root}/{path}", encoding="utf-8", errors="replace") as f:
                problems += check_file(path, f.read().splitlines())
        except FileNotFoundError:
            continue  # deleted in the working tree
    if problems:
        print("include layering violations (see tests/layering_check.py):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"{len(files)} files follow the layering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
