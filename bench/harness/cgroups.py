"""Finding (and removing) cgroups that runtimes made for the harness's containers and left behind.

Runtimes name a container's cgroup after its id when config.json has no cgroupsPath. With cgroupfs on v1,
runc puts it under the caller's own cgroup of each hierarchy, crun under the hierarchy's root (Cove there
too, as cove-<id>), so both places are searched. Only directories whose name starts with this run's unique prefix are touched, and only
with rmdir (which the kernel refuses for a cgroup that still has processes or children)."""
import os


def _hierarchies():
    """(mount point, cgroup path of this process in it) for every cgroup hierarchy we can see."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            own[ctrls] = path
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fstype = right.split()[0]
            if fstype not in ("cgroup", "cgroup2"):
                continue
            mnt = left.split()[4]
            if fstype == "cgroup2":
                path = own.get("", "/")
            else:
                opts = set(right.split()[2].split(","))
                path = "/"
                for ctrls, p in own.items():
                    if ctrls and set(ctrls.split(",")) <= opts:
                        path = p
            out.append((mnt, path))
    return out


def find_leftovers(prefix):
    found = []
    for mnt, own in _hierarchies():
        for parent in {mnt, os.path.normpath(mnt + own)}:
            try:
                entries = os.listdir(parent)
            except OSError:
                continue
            found += [os.path.join(parent, e) for e in entries
                      if (e.startswith(prefix) or e.startswith("cove-" + prefix)) and os.path.isdir(os.path.join(parent, e))]
    return sorted(set(found))


def _rmdir_tree(path):
    for entry in os.listdir(path):
        sub = os.path.join(path, entry)
        if os.path.isdir(sub):
            _rmdir_tree(sub)
    os.rmdir(path)


def remove_leftovers(prefix):
    """Returns [{"path", "removed", "error"?}] for every leftover cgroup of this run."""
    report = []
    for path in find_leftovers(prefix):
        item = {"path": path, "removed": True}
        try:
            _rmdir_tree(path)
        except OSError as e:
            item.update(removed=False, error=str(e))
        report.append(item)
    return report


def _controller_dirs(pid):
    """{controller: directory of pid's cgroup for it}, "" for the v2 unified hierarchy."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            parts = right.split()
            if parts[0] == "cgroup2":
                mounts[""] = left.split()[4]
            elif parts[0] == "cgroup":
                for opt in parts[2].split(","):
                    mounts.setdefault(opt, left.split()[4])
    dirs = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                if c in mounts:
                    dirs[c] = os.path.normpath(mounts[c] + "/" + path)
    return dirs


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return f"unreadable ({e.strerror})"


def check_limits(pid, memory=None, pids=None, cpu_shares=None):
    """Problems (strings) with the limits the cgroups of process pid really have; [] if all are applied.
    Works with v1 controllers and with v2 (memory.max, pids.max, cpu.weight is not checked on v2)."""
    dirs = _controller_dirs(pid)
    v2 = dirs.get("")
    problems = []
    if memory is not None:
        if "memory" in dirs:
            f = os.path.join(dirs["memory"], "memory.limit_in_bytes")
        else:
            f = os.path.join(v2 or "/nonexistent", "memory.max")
        got = _read(f)
        if got != str(memory):
            problems.append(f"{os.path.basename(f)}={got} (want {memory})")
    if pids is not None:
        f = os.path.join(dirs.get("pids", v2 or "/nonexistent"), "pids.max")
        got = _read(f)
        if got != str(pids):
            problems.append(f"pids.max={got} (want {pids})")
    if cpu_shares is not None and "cpu" in dirs:
        f = os.path.join(dirs["cpu"], "cpu.shares")
        got = _read(f)
        if got != str(cpu_shares):
            problems.append(f"cpu.shares={got} (want {cpu_shares})")
    return problems


def in_callers_cgroups(pid):
    """True when process pid sits in exactly the cgroups of this process (the runtime made none for it)."""
    return _controller_dirs(pid) == _controller_dirs(os.getpid())
