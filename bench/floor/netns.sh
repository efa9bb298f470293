#!/bin/sh
# How far below iproute2 can `netns add`+`delete` go here? Times Cove, `ip`, netns_floor.c (the same
# syscalls from a static C binary: the floor of any implementation) and netns_floor.swift (the same from the
# smallest static Swift program: the floor of any Swift implementation) the way bench/netns.sh does: each
# command spawned and reaped, N interleaved rounds, medians. Needs root, `ip`, cc and swiftc.
# Usage: bench/floor/netns.sh [--cove PATH] [--runs N]      Only namespaces named bfl<pid>... are made
# (bfl<FLOOR_TAG>... when FLOOR_TAG is set: bench.py sets it, to know what to remove if it stops the script).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
COVE=$HERE/../../.build/release/cove
RUNS=200
while [ $# -gt 0 ]; do
    case $1 in
        --cove) COVE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        *) sed -n 2,5p "$0"; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "floor/netns.sh: needs root" >&2; exit 1; }
[ -x "$COVE" ] || { echo "floor/netns.sh: no cove binary at $COVE" >&2; exit 1; }
work=$(mktemp -d /tmp/cove-floor.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -static -o "$work/netns_floor" "$HERE/netns_floor.c"
# Built as Cove's release binary is: static executable, static Swift standard library.
TMPDIR=$work swiftc -O -static-executable -o "$work/netns_floor_swift" "$HERE/netns_floor.swift" 2>"$work/swiftc.log" ||
    { cat "$work/swiftc.log" >&2; exit 1; }
mkdir -p /run/netns
# Not exec: the EXIT trap removes the work directory after python ends.
python3 - "$(realpath "$COVE")" "$(command -v ip)" "$work/netns_floor" "$work/netns_floor_swift" "$RUNS" <<'PY'
import os, statistics, sys, time
cove, ip, floor, swift_floor, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
tag = "bfl" + os.environ.get("FLOOR_TAG", str(os.getpid() % 100000))
tools = {"cove": [cove, "netns"], "ip": [ip, "netns"], "C floor": [floor], "Swift floor": [swift_floor]}
devnull = os.open(os.devnull, os.O_RDWR)
made = set()
# The same page-cache state for every executable (bench.py does this too): evicted, so round 0 (not counted)
# reads each back through its page faults, as after a reboot. The floors were just written by the compilers, and
# a fresh file faults ~10% less. Their pages are still dirty, and DONTNEED leaves dirty pages where they are:
# written back first.
for argv in tools.values():
    fd = os.open(os.path.realpath(argv[0]), os.O_RDONLY)
    os.fdatasync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)

def spawn(argv):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(" ".join(argv))
    return (time.perf_counter_ns() - t0) / 1e6

samples = {t: [] for t in tools}
try:
    names = list(tools)
    for i in range(runs + 1):
        for t in (names if i % 2 == 0 else names[::-1]):
            n = "%s%s%d" % (tag, t[0], i)
            made.add(n)
            ms = spawn(tools[t] + ["add", n]) + spawn(tools[t] + ["delete", n])
            if i > 0:
                samples[t].append(ms)
finally:
    for n in made:
        if os.path.exists("/run/netns/" + n):
            os.spawnv(os.P_WAIT, ip, [ip, "netns", "delete", n])
ipm = statistics.median(samples["ip"])
print("netns add+delete, %d interleaved rounds, median ms (ratio to ip):" % runs)
for t, v in samples.items():
    m = statistics.median(v)
    print("  %-12s %.3f  (%.2fx)" % (t, m, m / ipm))
left = [n for n in made if os.path.exists("/run/netns/" + n)]
print("leftovers:", left or "none")
sys.exit(1 if left else 0)
PY
