"""Toolkit and network benchmarks: Cove against the tools users already have (util-linux, iproute2).

These run in the harness's own process (the host mount namespace): `ip netns add` must create its
/run/netns file where iproute2 and Cove both see it, exactly as a user would run them."""
import json
import os
import shutil
import subprocess

from . import proc
from .model import Bench, summarize

TIMEOUT = 20.0
UNSHARE_FLAGS = ["--uts", "--ipc", "--net", "--pid", "--fork", "--mount-proc"]


def _interleave(n, pairs, bench, logs, say):
    """pairs: {tool: callable(i) -> Result list or raises}. Rounds alternate which tool goes first."""
    active = list(pairs)
    for i in range(-1, n):
        order = active[i % 2:] + active[:i % 2] if len(active) == 2 else active
        for tool in order:
            results = pairs[tool](i)
            bad = next((r for r in results if not r.ok), None)
            if bad is not None:
                status = "unsupported" if tool == "cove" else "failed"
                bench.series[tool].fail(status, bad.error_line())
                say(f"    {tool}: {status}: {bad.error_line()}")
                active.remove(tool)
                continue
            if i >= 0:
                bench.series[tool].samples.append(sum(r.ms for r in results))
        proc.sweep_zombies()
    parts = []
    for tool, s in bench.series.items():
        st = summarize(s.samples) if s.usable and s.samples else None
        parts.append(f"{tool} {st['median']:.2f} ({st['p10']:.2f}–{st['p90']:.2f})" if st else f"{tool} {s.status}")
    say(f"  {bench.title} [ms]: " + "; ".join(parts))


def toolkit(cove, unshare, n, logs, say):
    bench = Bench("unshare", "unshare " + " ".join(UNSHARE_FLAGS) + " -- /bin/true", "ms", ["cove", "util-linux"],
                  target={"util-linux": 1.0})
    say(f"toolkit: {n} rounds of unshare, cove vs util-linux")
    log = os.path.join(logs, "unshare.log")
    cmds = {"cove": [cove, "unshare", *UNSHARE_FLAGS, "--", "/bin/true"],
            "util-linux": [unshare, *UNSHARE_FLAGS, "--", "/bin/true"]}
    _interleave(n, {t: (lambda i, a=a: [proc.run(a, log, TIMEOUT)]) for t, a in cmds.items()}, bench, logs, say)
    return [bench]


class NetCleanup:
    """Names this run may have created; removed (only if present) at the end, even after a failure."""

    def __init__(self, ip):
        self.ip, self.netns, self.links = ip, set(), set()

    def run(self):
        leftovers = []
        for name in sorted(self.netns):
            if os.path.exists(f"/run/netns/{name}"):
                leftovers.append(f"netns {name}")
                subprocess.run([self.ip, "netns", "delete", name], capture_output=True)
        for name in sorted(self.links):
            if os.path.exists(f"/sys/class/net/{name}"):
                leftovers.append(f"link {name}")
                subprocess.run([self.ip, "link", "delete", name], capture_output=True)
        return leftovers


def netns_builtin(cove, ip, n, prefix, logs, say, cleanup):
    """netns add+delete and veth create+delete, `cove` vs `ip` (used when bench/netns.sh is absent)."""
    short = prefix.replace("-", "")[:8]
    ns_b = Bench("netns", "netns add+delete", "ms", ["cove", "iproute2"], target={"iproute2": 0.5})
    veth_b = Bench("veth", "veth pair create+delete", "ms", ["cove", "iproute2"], target={"iproute2": 0.5})
    log = os.path.join(logs, "net.log")
    say(f"netns: {n} rounds of netns add+delete and veth add+delete, cove vs iproute2")

    def ns_round(tool):
        def f(i):
            name = f"{short}n{i + 1}{tool[0]}"
            cleanup.netns.add(name)
            if tool == "cove":
                a = proc.run([cove, "netns", "add", name], log, TIMEOUT)
                return [a] if not a.ok else [a, proc.run([cove, "netns", "delete", name], log, TIMEOUT)]
            a = proc.run([ip, "netns", "add", name], log, TIMEOUT)
            return [a] if not a.ok else [a, proc.run([ip, "netns", "delete", name], log, TIMEOUT)]
        return f

    def veth_round(tool):
        def f(i):
            a_name, b_name = f"{short}v{i + 1}{tool[0]}", f"{short}p{i + 1}{tool[0]}"
            cleanup.links.update((a_name, b_name))
            if tool == "cove":
                a = proc.run([cove, "link", "add", a_name, "--type", "veth", "--peer", b_name], log, TIMEOUT)
                return [a] if not a.ok else [a, proc.run([cove, "link", "delete", a_name], log, TIMEOUT)]
            a = proc.run([ip, "link", "add", a_name, "type", "veth", "peer", "name", b_name], log, TIMEOUT)
            return [a] if not a.ok else [a, proc.run([ip, "link", "delete", a_name], log, TIMEOUT)]
        return f

    _interleave(n, {"cove": ns_round("cove"), "iproute2": ns_round("ip")}, ns_b, logs, say)
    _interleave(n, {"cove": veth_round("cove"), "iproute2": veth_round("ip")}, veth_b, logs, say)
    return [ns_b, veth_b]


def netns_script(script, cove, n, quick, logs, say, cleanup, results):
    """bench/netns.sh belongs to the netns work; run it as its author wrote it and keep what it prints.
    If its stdout holds a JSON object (the last line that parses), it is kept as data too. Its netns.json goes
    to `results` (the run's --out), not always to bench/results."""
    say(f"netns: running {script}")
    env = dict(os.environ, COVE=cove, BENCH_RUNS=str(n), BENCH_QUICK="1" if quick else "0", BENCH_RESULTS=results)
    args = [script, "--cove", cove, "--runs", str(n)] + (["--quick"] if quick else [])
    out_path = os.path.join(logs, "netns-sh.out")
    err_path = os.path.join(logs, "netns-sh.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    # It names what it makes bnc<its pid>...: known here, so leftovers can be removed if it is stopped.
    tag = "bnc%d" % (p.pid % 100000)
    try:
        rc = p.wait(timeout=900)
    except BaseException:
        p.send_signal(2)  # SIGINT: lets its own cleanup run
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        for d, kind in (("/run/netns", cleanup.netns), ("/sys/class/net", cleanup.links)):
            if os.path.isdir(d):
                kind.update(e for e in os.listdir(d) if e.startswith(tag))
        raise
    with open(out_path, errors="replace") as f:
        stdout = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    data = None
    for line in reversed(stdout.splitlines()):
        try:
            data = json.loads(line)
            if isinstance(data, dict):
                break
            data = None
        except ValueError:
            continue
    text = "\n".join(l for l in (stdout + stderr).splitlines() if not l.startswith("{"))
    if d_left := [e for d in ("/run/netns", "/sys/class/net") if os.path.isdir(d)
                  for e in os.listdir(d) if e.startswith(tag)]:
        cleanup.netns.update(d_left)
        cleanup.links.update(d_left)
    return {"script": script, "argv": args, "exit": rc, "output": text[-6000:], "json": data}


def floor_script(script, cove, n, logs, say, cleanup):
    """bench/floor/netns.sh: netns add+delete from static C and from the smallest static Swift program, next to
    Cove and ip, so the report shows the floor a target sits on. Needs cc and swiftc; None when either is missing."""
    if not (shutil.which("cc") and shutil.which("swiftc")):
        return None
    say(f"netns floor: running {script}")
    tag = "%05d" % (os.getpid() % 100000)
    args = [script, "--cove", cove, "--runs", str(n)]
    log = os.path.join(logs, "floor.out")
    with open(log, "w") as out:
        p = subprocess.Popen(args, env=dict(os.environ, FLOOR_TAG=tag), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
    try:
        rc = p.wait(timeout=600)
    finally:
        if p.returncode is None:
            p.send_signal(2)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if os.path.isdir("/run/netns"):
            cleanup.netns.update(e for e in os.listdir("/run/netns") if e.startswith("bfl" + tag))
    with open(log, errors="replace") as f:
        return {"script": script, "argv": args, "exit": rc, "output": f.read()[-3000:]}


def rows_from_netns_json(data):
    """Table rows (the shape of Bench.to_json) from the JSON line bench/netns.sh prints, or [] if it has none."""
    rows = []
    results = (data or {}).get("results") or {}
    titles = {"netns": "netns add+delete (bench/netns.sh)", "veth": "veth pair create+delete (bench/netns.sh)",
              "everyday": "netns list, netns exec, link/addr/route list: 5 commands (bench/netns.sh)"}
    for key in ("netns", "veth", "everyday"):
        r = results.get(key)
        if not isinstance(r, dict) or "cove" not in r or "ip" not in r:
            continue

        def conv(x):
            return {"status": "ok", "n": x.get("n"), "median": x.get("median_ms"), "p10": x.get("p10_ms"),
                    "p90": x.get("p90_ms"), "mean": x.get("mean_ms")}
        ratio = r.get("ratio_cove_ip")
        rows.append({"key": key, "title": titles[key], "unit": "ms",
                     "results": {"cove": conv(r["cove"]), "iproute2": conv(r["ip"])},
                     "ratios": {"cove/iproute2": None if ratio is None else round(ratio, 4)},
                     # Issue 8 bounds netns add+delete and issue 3 veth create+delete at 0.5× ip; everyday is informational.
                     "target": {"cove/iproute2": data.get("target_ratio", 0.5)} if key != "everyday" else {}})
    return rows
