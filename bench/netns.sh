#!/bin/sh
# Network namespace benchmark, Cove vs iproute2 (issue 3): N rounds of `netns add`+`delete`, N rounds of
# veth pair create+delete, and N rounds of five everyday commands against one namespace made for them (netns
# list, netns exec NS /bin/true, link, addr and route list in NS), each tool spawned as a user would run it.
# Prints a table of medians (p10-p90)
# and the cove/ip ratio, writes netns.json to $BENCH_RESULTS (default bench/results), and prints that JSON
# as its last line.
#
# Usage: bench/netns.sh [--cove PATH] [--runs N] [--quick] [PATH]
#   (the harness also passes COVE, BENCH_RUNS, BENCH_QUICK, BENCH_RESULTS in the environment). Needs root and `ip`.
# Only namespaces and devices named bnc<pid>... are made, in the host's namespace, and all are removed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
COVE=${COVE:-}
RUNS=${BENCH_RUNS:-}
QUICK=${BENCH_QUICK:-0}
while [ $# -gt 0 ]; do
    case $1 in
        --cove) COVE=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h|--help) sed -n 2,9p "$0"; exit 0 ;;
        *) COVE=$1; shift ;;
    esac
done
COVE=${COVE:-$HERE/../.build/release/cove}
[ -x "$COVE" ] || { echo "netns.sh: no cove binary at $COVE (build with: swift build -c release --static-swift-stdlib)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "netns.sh: needs root" >&2; exit 1; }
IP=$(command -v ip) || { echo "netns.sh: iproute2's ip not found" >&2; exit 1; }
if [ -z "$RUNS" ]; then if [ -n "$QUICK" ] && [ "$QUICK" != 0 ]; then RUNS=20; else RUNS=200; fi; fi
RESULTS=${BENCH_RESULTS:-$HERE/results}
mkdir -p "$RESULTS"

exec python3 - "$(realpath "$COVE")" "$IP" "$RUNS" "$RESULTS/netns.json" <<'PY'
import json, os, platform, statistics, sys, time

cove, ip, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tag = "bnc%d" % (os.getpid() % 100000)
devnull = os.open(os.devnull, os.O_RDWR)
made_ns, made_dev = set(), set()

def spawn(argv):
    """Wall time of one command from spawn to reap, in ms; raises with its stderr on failure."""
    r, w = os.pipe()
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, w, 2)])
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter_ns()
    os.close(w)
    err = os.read(r, 4096).decode(errors="replace").strip()
    os.close(r)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), err))
    return (t1 - t0) / 1e6

def steps(tool, bench, i):
    n = "%s%s%d" % (tag, tool[0], i)          # short: device names must fit IFNAMSIZ
    if bench == "startup":                   # process start alone: what every step above also pays
        return ([[cove, "--version"]] if tool == "cove" else [[ip, "-V"]]), n
    if bench == "everyday":                  # in the one namespace `everyday_ns` made for them
        e = everyday_ns
        if tool == "cove":
            return [[cove, "netns", "list"], [cove, "netns", "exec", e, "/bin/true"], [cove, "link", "list", "-n", e],
                    [cove, "addr", "list", "-n", e], [cove, "route", "list", "-n", e]], n
        return [[ip, "netns", "list"], [ip, "netns", "exec", e, "/bin/true"], [ip, "-n", e, "link", "show"],
                [ip, "-n", e, "addr", "show"], [ip, "-n", e, "route", "show"]], n
    if bench == "netns":
        made_ns.add(n)
        if tool == "cove":
            return [[cove, "netns", "add", n], [cove, "netns", "delete", n]], n
        return [[ip, "netns", "add", n], [ip, "netns", "delete", n]], n
    made_dev.add(n)
    if tool == "cove":
        return [[cove, "link", "add", n, "--type", "veth", "--peer", n + "p"], [cove, "link", "delete", n]], n
    return [[ip, "link", "add", n, "type", "veth", "peer", "name", n + "p"], [ip, "link", "delete", n]], n

def cleanup():
    for n in made_ns:
        if os.path.exists("/run/netns/" + n):
            os.spawnv(os.P_WAIT, ip, [ip, "netns", "delete", n])
    for n in made_dev:
        if os.path.exists("/sys/class/net/" + n):
            os.spawnv(os.P_WAIT, ip, [ip, "link", "delete", n])

def pct(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p
    f = int(k)
    return s[f] + (s[min(f + 1, len(s) - 1)] - s[f]) * (k - f)

results = {}
everyday_ns = tag + "e"
made_ns.add(everyday_ns)
try:
    spawn([ip, "netns", "add", everyday_ns])
    spawn([ip, "-n", everyday_ns, "link", "set", "lo", "up"])
    for bench in ("netns", "veth", "everyday", "startup"):
        samples = {"cove": [], "ip": []}
        tools = ["cove", "ip"]
        for i in range(runs + 1):                  # round 0 warms caches up and is not recorded
            order = tools if i % 2 == 0 else tools[::-1]   # interleaved, alternating who goes first
            for tool in order:
                argvs, _ = steps(tool, bench, i)
                ms = sum(spawn(a) for a in argvs)
                if i > 0:
                    samples[tool].append(ms)
        results[bench] = {t: {"median_ms": statistics.median(v), "p10_ms": pct(v, 0.1), "p90_ms": pct(v, 0.9),
                              "mean_ms": statistics.fmean(v), "n": len(v), "samples_ms": [round(x, 4) for x in v]}
                          for t, v in samples.items()}
        results[bench]["ratio_cove_ip"] = results[bench]["cove"]["median_ms"] / results[bench]["ip"]["median_ms"]
finally:
    cleanup()

left = [n for n in made_ns if os.path.exists("/run/netns/" + n)] + [n for n in made_dev if os.path.exists("/sys/class/net/" + n)]
labels = {"netns": "netns add + delete", "veth": "veth create + delete", "everyday": "5 everyday commands",
          "startup": "startup (--version/-V)"}
print("%-22s %-24s %-24s %s" % ("benchmark (ms/round)", "cove median (p10-p90)", "ip median (p10-p90)", "cove/ip"))
for b in ("netns", "veth", "everyday", "startup"):
    c, i = results[b]["cove"], results[b]["ip"]
    r = results[b]["ratio_cove_ip"]
    print("%-22s %-24s %-24s %.2f %s" % (labels[b], "%.3f (%.3f-%.3f)" % (c["median_ms"], c["p10_ms"], c["p90_ms"]),
          "%.3f (%.3f-%.3f)" % (i["median_ms"], i["p10_ms"], i["p90_ms"]), r, "" if b in ("startup", "everyday") else ("✓ (≤ 0.5)" if r <= 0.5 else "✗ (target ≤ 0.5)")))
print("rounds: %d each, interleaved; netns/veth rounds spawn the tool twice (create, delete), everyday five times, startup once; leftovers: %s" % (runs, left or "none"))
print("startup row: cove --version and ip -V, process start and one line of output")
doc = {"benchmark": "netns", "runs": runs, "cove": cove, "ip": ip,
       "kernel": platform.release(), "nproc": os.cpu_count(),
       "loadavg": os.getloadavg(), "results": results, "target_ratio": 0.5, "leftovers": left}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print(json.dumps({k: v for k, v in doc.items()} | {"results": {b: {t: ({kk: vv for kk, vv in x.items() if kk != "samples_ms"} if isinstance(x, dict) else x) for t, x in results[b].items()} for b in results}}))
sys.exit(1 if left else 0)
PY
