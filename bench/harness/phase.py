"""The forked child that runs the runtime benchmarks. It
  1. unshares its mount namespace and makes every mount private (nothing propagates to the host),
  2. on a hybrid cgroup host bind-mounts an empty file over /sys/fs/cgroup/unified/cgroup.controllers —
     crun 1.8.1 refuses hybrid hosts otherwise ("cgroups in hybrid mode not supported"); all three
     runtimes run under the same mount, so they see the same host,
  3. mounts a tmpfs for the runtimes' state dirs (--root) and --pid-file files, as /run is on a typical host
     (see STATE_NOTE),
  4. becomes a child subreaper, so container processes orphaned by `create` are re-parented to it and
     the `wait` step is a pidfd poll on the container's init (no polling of `state`),
and cleans up everything on the way out, also when interrupted.
"""
import json
import os
import shutil
import signal

from . import cgroups, proc
from .runtimes import Runtime, RuntimeBenches

EMPTY_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers"
STATE_NOTE = ("State dirs (--root) and --pid-file files are on a tmpfs mounted in that namespace, as /run (every runtime's "
              "default root) is on a typical host. On an ext4 without a journal, as this host's root file system is, the "
              "inode allocator skips every inode freed in the last 1-5 minutes and reads each one's inode table block: "
              "after minutes of container churn each new file costs 0.1-0.7 ms, which measured the file system rather "
              "than the runtimes (bench/README.md).")


def how_runtimes_are_run(hybrid, empty_file):
    if hybrid:
        return ("Each runtime command is spawned by bench.py from inside one private mount namespace "
                "(unshare(CLONE_NEWNS) + mount --make-rprivate /) in which an empty file is bind-mounted over "
                f"{EMPTY_CONTROLLERS}, so crun 1.8.1 accepts this hybrid cgroup host. Cove, crun and runc all run "
                "inside that same namespace, each with its own --root state dir. Shell equivalent: "
                f"unshare -m --propagation private sh -c 'mount --bind {empty_file} {EMPTY_CONTROLLERS} && "
                "RUNTIME --root STATEDIR create --bundle BUNDLE --pid-file F ID'. " + STATE_NOTE)
    return ("Each runtime command is spawned by bench.py from inside one private mount namespace "
            "(no hybrid cgroup layout here, so no cgroup.controllers bind mount is needed). " + STATE_NOTE)


def _mount_points():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def phase(cfg, out_path, say):
    """Entry point of the forked child: set up the namespace, run the selected benchmarks, clean up,
    write the JSON to out_path. Never returns (os._exit)."""
    code = 0
    result = {"benches": [], "leftovers": [], "notes": []}
    rb = None
    mounts_before = None
    hybrid = os.path.exists(EMPTY_CONTROLLERS)
    mounted = False
    state = os.path.join(cfg["work"], "state")
    state_mounted = False

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        proc.unshare_mount_ns()
        os.makedirs(state, exist_ok=True)
        proc.mount_tmpfs(state, "256m")
        state_mounted = True
        mounts_before = _mount_points()
        if hybrid:
            proc.bind_mount(cfg["empty_file"], EMPTY_CONTROLLERS)
            mounted = True
        proc.set_subreaper()
        result["how_run"] = how_runtimes_are_run(hybrid, cfg["empty_file"])
        runtimes = []
        for name, binary in cfg["runtimes"]:
            root = os.path.join(state, name)
            os.makedirs(root, exist_ok=True)
            runtimes.append(Runtime(name, binary, root))
        rb = RuntimeBenches(cfg, runtimes, cfg["bundles"], cfg["work"], cfg["prefix"], say)
        sel, n = cfg["select"], cfg["n"]
        if "lifecycle" in sel:
            rb.lifecycle(n["lifecycle"], limits=False)
            rb.lifecycle(n["lifecycle"], limits=True)
        if "run" in sel:
            rb.run_delete(n["run"])
        if "parallel" in sel:
            rb.parallel(n["parallel_reps"], n["parallel_count"])
        if "exec" in sel:
            rb.exec_latency(n["exec"])
        if "memory" in sel:
            if cfg.get("gnu_time"):
                rb.peak_rss(n["rss_rounds"])
            else:
                result["notes"].append("peak RSS not measured: GNU time (/usr/bin/time) is not installed")
            rb.min_memory(n["mem_step"], n["mem_hi"])
    except KeyboardInterrupt:
        result["notes"].append("interrupted: results are partial")
        code = 130
    except Exception as e:  # report, clean up, and let the parent carry on with the other benchmarks
        result["notes"].append(f"runtime benchmarks stopped: {type(e).__name__}: {e}")
        say(f"runtime benchmarks stopped: {type(e).__name__}: {e}")
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if rb is not None:
            killed = rb.cleanup()
            if killed:
                result["notes"].append(f"cleanup had to kill {len(killed)} leftover process(es)")
            result["benches"] = [b.to_json() for b in rb.benches]
            result["leftovers"] += rb.leaked_state
            result["notes"] += rb.notes
        else:
            proc.kill_own_children()
        result["leftovers"] += cgroups.remove_leftovers(cfg["prefix"])
        if mounts_before is not None:
            # Mounts a runtime left in our namespace (they die with it, but leaving them is a bug to report).
            for mnt in sorted(set(_mount_points()) - set(mounts_before) - {EMPTY_CONTROLLERS}, reverse=True):
                item = {"path": f"mount {mnt}", "removed": True}
                try:
                    proc.umount(mnt)
                except OSError as e:
                    item.update(removed=False, error=str(e))
                result["leftovers"].append(item)
        if mounted:
            try:
                proc.umount(EMPTY_CONTROLLERS)
            except OSError as e:
                result["notes"].append(str(e))
        if state_mounted:
            try:
                proc.umount(state)
            except OSError as e:
                result["notes"].append(str(e))
        shutil.rmtree(state, ignore_errors=True)
        try:
            with open(out_path, "w") as f:
                json.dump(result, f)
        except Exception:
            code = code or 1
        os._exit(code)
