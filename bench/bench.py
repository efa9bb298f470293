#!/usr/bin/env python3
"""Cove's benchmarks against runc, crun, util-linux and iproute2 (issue 8). Python 3 stdlib only.

    bench/bench.py [--quick] [--cove PATH] [--only GROUPS] [--runs N] [--out DIR]

Needs root. Builds nothing: point --cove at a built binary (default .build/release/cove). Writes
latest.json, latest.md and latest.png to bench/results/ and prints the tables. See bench/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import signal
import string
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from harness import phase as runtimes, proc, report, tools  # noqa: E402

GROUPS = ["lifecycle", "run", "parallel", "exec", "memory", "toolkit", "netns"]
MiB = 1024 * 1024
SYSPATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"

# The limits of the "with cgroup limits" bundle; checked in the container's cgroups before it is timed.
LIMITS_WANT = {"memory": 128 * MiB, "pids": 128, "cpu_shares": 512}

MODES = {
    "quick": {"lifecycle": 5, "run": 5, "parallel_reps": 1, "parallel_count": 50, "exec": 5,
              "rss_rounds": 2, "mem_step": 2 * MiB, "mem_hi": 128 * MiB, "toolkit": 20, "netns": 20},
    "full": {"lifecycle": 100, "run": 50, "parallel_reps": 9, "parallel_count": 50, "exec": 100,
             "rss_rounds": 5, "mem_step": 256 * 1024, "mem_hi": 256 * MiB, "toolkit": 300, "netns": 200},
}


def say(msg):
    print(msg, flush=True)


def which(name):
    return shutil.which(name, path=SYSPATH)


def first_line(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        out = (p.stdout or p.stderr).strip().splitlines()
        return out[0] if out else f"(no output, exit {p.returncode})"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unavailable: {e}"


def machine_info():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":", 1)[1].strip()
    hybrid = os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers")
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    return {"cpu": cpu, "nproc": os.cpu_count(), "kernel": platform.release(), "memory": mem,
            "cgroups": "v2 (unified)" if v2 else ("v1 hybrid (v2 at /sys/fs/cgroup/unified)" if hybrid else "v1"),
            "loadavg_start": " ".join(open("/proc/loadavg").read().split()[:3])}


def _built(path):
    try:
        t = datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.timezone.utc)
        return f" — {path}, built {t.strftime('%Y-%m-%d %H:%M UTC')}"
    except OSError:
        return ""


def evict_from_page_cache(paths):
    """posix_fadvise(DONTNEED) each executable (sync ran before: nothing dirty stays). Returns the paths done."""
    done = []
    for path in paths:
        try:
            fd = os.open(os.path.realpath(path), os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            done.append(path)
        finally:
            os.close(fd)
    return done


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (+ uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def make_bundles(work, runc):
    """One busybox rootfs; config.json from `runc spec` with args /bin/true and terminal false (used by every
    runtime), plus variants that point at the same rootfs: cgroup limits, a long-running process for exec,
    and a memory-limit template for the binary search."""
    plain = os.path.join(work, "bundle")
    os.makedirs(plain)
    rootfs = os.path.join(plain, "rootfs")
    subprocess.run([os.path.join(REPO, "scripts", "mkrootfs.sh"), rootfs], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([runc, "spec", "--bundle", plain], check=True)
    with open(os.path.join(plain, "config.json")) as f:
        spec = json.load(f)
    spec["process"]["args"] = ["/bin/true"]
    spec["process"]["terminal"] = False
    with open(os.path.join(plain, "config.json"), "w") as f:
        json.dump(spec, f, indent=2)

    def variant(name, edit):
        d = os.path.join(work, f"bundle-{name}")
        os.makedirs(d)
        c = json.loads(json.dumps(spec))
        c["root"]["path"] = rootfs
        edit(c)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=2)
        return d

    def limits(c):
        c["linux"].setdefault("resources", {}).update({
            "memory": {"limit": LIMITS_WANT["memory"]},
            "cpu": {"shares": LIMITS_WANT["cpu_shares"], "quota": 100000, "period": 100000},
            "pids": {"limit": LIMITS_WANT["pids"]},
        })

    def exec_(c):
        c["process"]["args"] = ["/bin/sleep", "3600"]

    def mem_config(limit):
        c = json.loads(json.dumps(spec))
        c["root"]["path"] = rootfs
        c["linux"].setdefault("resources", {})["memory"] = {"limit": int(limit)}
        return c

    bundles = {"plain": plain, "limits": variant("limits", limits), "exec": variant("exec", exec_),
               "mem": variant("mem", lambda c: None)}
    return bundles, mem_config, rootfs


def run_runtime_phase(cfg, work):
    """Fork: the child enters the private mount namespace and runs the runtime benchmarks (runtimes.phase)."""
    out = os.path.join(work, "runtime.json")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            runtimes.phase(cfg, out, say)  # ends with os._exit
        finally:  # whatever happens, the child never returns into the parent's code
            import traceback
            traceback.print_exc()
            os._exit(1)
    interrupted = False
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except KeyboardInterrupt:
            # A terminal's Ctrl-C reaches the child too; a SIGTERM/SIGHUP sent to us alone is passed on.
            # Either way the child cleans up (containers, state dirs, cgroups, its mount) before it exits.
            interrupted = True
            if not _exited_within(pid, 3.0):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"benches": [], "leftovers": [], "notes": ["runtime benchmarks wrote no results"]}
    return data, interrupted


def _exited_within(pid, secs):
    fd = os.pidfd_open(pid)
    try:
        return proc.wait_pidfd(fd, secs)
    finally:
        os.close(fd)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def update_readme(md_path, md_text):
    """Replace the block between the markers in bench/README.md with the latest results."""
    begin, end = "<!-- latest results: begin (written by bench.py) -->", "<!-- latest results: end -->"
    try:
        with open(md_path) as f:
            text = f.read()
    except OSError:
        return
    if begin not in text or end not in text:
        return
    body = md_text.replace("![chart](latest.png)", "![chart](results/latest.png)")
    body = body.replace("# Cove benchmark results", "### Latest results", 1)
    body = "\n".join(("#" + l) if l.startswith("## ") else l for l in body.splitlines())
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(md_path, "w") as f:
        f.write(head + begin + "\n" + body.rstrip() + "\n" + end + tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small N: under a minute")
    ap.add_argument("--cove", default=os.path.join(REPO, ".build", "release", "cove"), help="cove binary")
    ap.add_argument("--only", default=",".join(GROUPS), help="comma list of: " + ",".join(GROUPS))
    ap.add_argument("--runtimes", default="cove,crun,runc", help="comma list (default cove,crun,runc)")
    ap.add_argument("--runs", type=int, help="override N for lifecycle, run, exec, toolkit and netns")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="results directory")
    ap.add_argument("--no-readme", action="store_true", help="do not update the results block of bench/README.md")
    args = ap.parse_args()

    # Also when started in the background (SIGINT ignored): every way of stopping us runs the cleanup.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (containers, namespaces, cgroups)")
    sel = [g.strip() for g in args.only.split(",") if g.strip()]
    bad = [g for g in sel if g not in GROUPS]
    if bad:
        sys.exit(f"bench: unknown group {bad[0]!r} in --only; groups: {', '.join(GROUPS)}")
    mode = "quick" if args.quick else "full"
    n = dict(MODES[mode])
    if args.runs:
        for k in ("lifecycle", "run", "exec", "toolkit", "netns"):
            n[k] = args.runs
    cove = os.path.abspath(args.cove)
    bins = {name: which(name) for name in ("runc", "crun", "unshare", "ip")}
    if not bins["runc"]:
        sys.exit("bench: runc not found (apt-get install runc): it writes the bundle's config.json")
    if not os.path.exists("/bin/busybox"):
        sys.exit("bench: /bin/busybox missing (apt-get install busybox-static)")

    meta = {"mode": mode, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "git": git_rev(), "machine": machine_info(), "runs": n, "selected": sel,
            "cove_binary": cove,
            "versions": {"cove": first_line([cove, "--version"]) + _built(cove),
                         "crun": first_line([bins["crun"] or "crun", "--version"]),
                         "runc": first_line([bins["runc"], "--version"]),
                         "util-linux": first_line([bins["unshare"] or "unshare", "--version"]),
                         "iproute2": first_line([bins["ip"] or "ip", "-V"]),
                         "python": platform.python_version()}}
    say(f"bench ({mode}): cove={cove}")
    # A build just before (make bench links a 36 MB binary) leaves dirty pages whose writeback and journal commits
    # slowed every runtime's first group by 20-30% (ext4 inode creation waits on them): flush them first.
    os.sync()
    # Every measured executable starts from the same page-cache state: evicted, so its first (warm-up) runs read it
    # back through their page faults, as after a reboot. How a file got into the cache decides its folio sizes: one
    # fresh from the linker or cp faults ~10% less and maps ~30% more (cove --version 63 faults and 3.1 MiB against
    # 71 and 2.4 MiB) — Cove was measured fresh from every rebuild, the others in whatever state they were.
    settled = evict_from_page_cache([cove] + [b for b in bins.values() if b])
    meta["page_cache"] = ("Page cache: before measuring, each executable (" + ", ".join(os.path.basename(b) for b in settled)
                          + ") was evicted (posix_fadvise DONTNEED), so the warm-up runs read it back through their "
                          "page faults, as after a reboot: a binary fresh from the linker or cp faults ~10% less and "
                          "maps ~30% more, and which state each was in depended on when it was last written (Cove's: "
                          "on every rebuild). Shared libraries are left as they are.")
    early_notes = []
    if not os.access(cove, os.X_OK):
        early_notes.append(f"no cove binary at {cove}: build it (make build) or pass --cove PATH; every Cove cell "
                           "says unsupported")
        say("warning: " + early_notes[-1])
    work = tempfile.mkdtemp(prefix="cove-bench-")
    prefix = "cb%05d%s" % (os.getpid() % 100000, "".join(random.choices(string.ascii_lowercase, k=2)))
    doc = {"meta": meta, "runtime": [], "tools": [], "notes": early_notes, "leftovers": []}
    net_cleanup = tools.NetCleanup(bins["ip"] or "ip")
    interrupted = False
    try:
        rt_groups = [g for g in sel if g in ("lifecycle", "run", "parallel", "exec", "memory")]
        if rt_groups:
            bundles, mem_config, _ = make_bundles(work, bins["runc"])
            empty = os.path.join(work, "empty-cgroup.controllers")
            open(empty, "w").close()
            rts = []
            for name in [r.strip() for r in args.runtimes.split(",") if r.strip()]:
                path = cove if name == "cove" else bins.get(name)
                if path:
                    rts.append((name, path))
                else:
                    doc["notes"].append(f"{name} not installed: skipped")
            cfg = {"runtimes": rts, "bundles": bundles, "mem_config": mem_config, "work": work, "prefix": prefix,
                   "empty_file": empty, "select": rt_groups, "n": n, "gnu_time": which("time"),
                   "limits_want": LIMITS_WANT}
            how = runtimes.how_runtimes_are_run(os.path.exists(runtimes.EMPTY_CONTROLLERS), empty)
            say("How the runtimes are run: " + how)
            data, interrupted = run_runtime_phase(cfg, work)
            meta["how_run"] = data.get("how_run", how)
            doc["runtime"] = data["benches"]
            doc["notes"] += data["notes"]
            doc["leftovers"] += data["leftovers"]
        logs = os.path.join(work, "logs")
        os.makedirs(logs, exist_ok=True)
        if "toolkit" in sel and not interrupted:
            doc["tools"] += [b.to_json() for b in tools.toolkit(cove, bins["unshare"] or "unshare", n["toolkit"],
                                                                 logs, say)]
        if "netns" in sel and not interrupted:
            script = os.path.join(HERE, "netns.sh")
            rows = []
            if os.access(script, os.X_OK):
                doc["netns_script"] = tools.netns_script(script, cove, n["netns"], args.quick, logs, say,
                                                          net_cleanup, args.out)
                rows = tools.rows_from_netns_json(doc["netns_script"]["json"])
                doc["tools"] += rows
                if not rows:  # it stopped (e.g. Cove lacks a command): measure here so iproute2 still has numbers
                    doc["notes"].append("bench/netns.sh gave no results (output below); netns/veth measured by "
                                        "bench.py instead")
            floor = os.path.join(HERE, "floor", "netns.sh")
            if not args.quick and os.access(floor, os.X_OK):
                doc["netns_floor"] = tools.floor_script(floor, cove, n["netns"], logs, say, net_cleanup)
            if not rows:
                doc["tools"] += [b.to_json() for b in tools.netns_builtin(cove, bins["ip"] or "ip", n["netns"],
                                                                          prefix, logs, say, net_cleanup)]
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        proc.kill_own_children()
        for item in net_cleanup.run():
            doc["leftovers"].append({"path": item, "removed": True})
        shutil.rmtree(work, ignore_errors=True)
    if interrupted and "interrupted: results are partial" not in doc["notes"]:
        doc["notes"].append("interrupted: results are partial")

    meta["machine"]["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "latest.png")
    chart_tmp = tempfile.mkdtemp(prefix="cove-bench-chart-")
    try:
        err = report.chart(doc, png, chart_tmp)
    finally:
        shutil.rmtree(chart_tmp, ignore_errors=True)
    doc["chart"] = None if err else "latest.png"
    if err:
        doc["notes"].append(f"chart: {err}")
        if os.path.exists(png):  # never leave an older run's chart next to this run's tables
            os.unlink(png)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=1)
    md = report.markdown(doc)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    if mode == "full" and not args.no_readme and not interrupted and set(sel) == set(GROUPS):
        update_readme(os.path.join(HERE, "README.md"), md)
    say("")
    say(md)
    say(f"\nwrote {args.out}/latest.json, latest.md" + (", latest.png" if not err else ""))
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
