#!/bin/sh
# Regenerates linker/hot-symbols.txt: the functions cove's hot commands run and the variables they touch,
# which the release link places next to each other (lld --symbol-ordering-file). The text and data the
# commands touch then lie in fewer pages: fewer page faults (about 2 us each on the bench machine) for
# every runtime command (bench/, issue 8).
#
# Usage (root; needs valgrind, busybox-static, runc for `runc spec`): scripts/hot-symbols.sh [BINARY]
# BINARY defaults to .build/release/cove; HOT_SYMBOLS_OUT=FILE writes there instead of linker/. Each command
# runs under callgrind once; the binary and valgrind sit on read-only bind mounts in a private mount
# namespace so cove's protective re-exec is skipped (it cannot be followed under valgrind). The container
# init runs openat2, which valgrind lacks: its code is added by name (the Container and Kernel types only
# the init uses) and from perf samples.
#
# scripts/hot-symbols.sh --check [BINARY]: names the listed symbols BINARY lacks — functions renamed since the
# list was made (a changed signature changes the mangled name) lose their place in the hot pages without any
# error (lld is told not to warn). `make build` runs it. Eight such renames had cost every `run` 35 page faults.
set -eu
if [ "${1:-}" = --check ]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    bin=${2:-$repo/.build/release/cove}
    have=$(mktemp /tmp/cove-hotcheck.XXXXXX)
    trap 'rm -f "$have"' EXIT
    nm "$bin" | awk '{print $NF}' | LC_ALL=C sort -u > "$have"
    missing=$(grep -v '^$' "$repo/linker/hot-symbols.txt" | LC_ALL=C sort -u | LC_ALL=C comm -13 "$have" -)
    [ -n "$missing" ] || exit 0
    n=$(printf '%s\n' "$missing" | wc -l)
    echo "hot-symbols: $n symbol(s) of linker/hot-symbols.txt are not in $bin (renamed or gone); they lose their" >&2
    echo "  place in the hot pages. Rename them in the list (same order) or regenerate it (scripts/hot-symbols.sh):" >&2
    printf '%s\n' "$missing" | head -5 | sed 's/^/  /' >&2
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "hot-symbols: needs root" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "hot-symbols: apt-get install valgrind" >&2; exit 1; }
. "$(dirname "$0")/ro-copy.sh"
ro_copy hot "${1:-}" strip
mkdir -p "$work/out"
cat > "$work/run.sh" <<INNER
set +e
$RO_MOUNTS
mount --bind /usr/libexec/valgrind /usr/libexec/valgrind && mount -o remount,bind,ro /usr/libexec/valgrind
C=$work/ro/cove; R="--root $work/state"; B="--bundle $work/bundle"
VG="valgrind --tool=callgrind --demangle=no --callgrind-out-file=$work/out/%p.out"
_COVE_SEALED_EXE=1 \$VG \$C \$R create \$B a </dev/null >/dev/null 2>&1
\$C \$R delete -f a 2>/dev/null
\$C \$R create \$B b </dev/null >/dev/null 2>&1
\$VG \$C \$R state b >/dev/null 2>&1
\$VG \$C \$R list >/dev/null 2>&1
\$VG \$C \$R start b 2>/dev/null
sleep 0.2
\$VG \$C \$R delete b 2>/dev/null
\$C \$R delete -f b 2>/dev/null
\$C \$R create \$B c </dev/null >/dev/null 2>&1
\$VG \$C \$R kill c KILL 2>/dev/null
sleep 0.2
\$VG \$C \$R delete -f c 2>/dev/null
\$C \$R delete -f c 2>/dev/null
\$VG \$C \$R state nothing 2>/dev/null
\$VG \$C --version >/dev/null 2>&1
\$VG \$C netns add cove-hot-\$\$ 2>/dev/null
\$VG \$C netns delete cove-hot-\$\$ 2>/dev/null
\$VG \$C unshare --uts --ipc --net --pid --fork --mount-proc -- /bin/true 2>/dev/null
# The data the same commands write (valgrind's lackey logs every access; only addresses are kept): the
# linker then packs the touched variables into fewer pages, each of which costs a page fault on first write.
LK="valgrind --tool=lackey --trace-mem=yes --log-file=$work/lk/%p.log"
mkdir -p $work/lk
\$C \$R create \$B d </dev/null >/dev/null 2>&1
_COVE_SEALED_EXE=1 \$LK \$C \$R create \$B l </dev/null >/dev/null 2>&1
\$C \$R delete -f l 2>/dev/null
\$LK \$C \$R state d >/dev/null 2>&1
\$LK \$C \$R start d 2>/dev/null
sleep 0.2
\$LK \$C \$R delete d 2>/dev/null
\$C \$R delete -f d 2>/dev/null
\$LK \$C netns add cove-hot-\$\$ 2>/dev/null
\$LK \$C netns delete cove-hot-\$\$ 2>/dev/null
# The init's own code (which callgrind cannot follow): sampled, with perf when there is one.
if command -v perf >/dev/null; then
    for i in \$(seq 40); do
        perf record -q -F 25000 -o $work/perf.\$i.data \$C \$R run \$B p\$i </dev/null >/dev/null 2>&1
        \$C \$R delete -f p\$i 2>/dev/null
        perf script -i $work/perf.\$i.data -F ip 2>/dev/null >> $work/samples
    done
fi
true
INNER
unshare -m --propagation private sh "$work/run.sh"
# i: the IFUNC symbols, whose resolvers (memcpy's, strlen's, ...) every process runs before main.
nm --defined-only "$bin" | awk '$2 ~ /[tTwWiI]/ {print $3}' > "$work/symbols"
nm -n --defined-only "$bin" | awk '$2 ~ /[tTwW]/' > "$work/symbols.addr"
nm -n -S --defined-only "$bin" | awk '$3 ~ /^[bBdD]$/' > "$work/data.addr"
python3 - "$work" "${HOT_SYMBOLS_OUT:-$repo/linker/hot-symbols.txt}" <<'PY'
import bisect, collections, glob, re, sys
work, out = sys.argv[1], sys.argv[2]
defined = set(open(f"{work}/symbols").read().split())
# Which functions each command ran. The init (PID 1 of its namespace, with create's command line) is a
# command of its own; callgrind loses it at its first openat2, so perf samples and names complete it.
# `--version` stands for start-up (glibc's, the IFUNC resolvers, the Swift runtime's initialisers, argv): every
# exec'd command runs it, but the init (forked, not exec'd) does not, so ranked by the lifecycle commands alone it
# landed behind all of the init's code.
priority = ["--version", "start", "delete b", "create", "init", "state b", "kill", "delete -f", "list", "netns add",
            "netns delete", "unshare", "state nothing"]
used = collections.defaultdict(set)
for f in glob.glob(f"{work}/out/*.out"):
    names, seen, pid, cmd = {}, set(), "", ""
    for line in open(f, errors="replace"):
        if line.startswith("pid: "): pid = line.split()[1]
        elif line.startswith("cmd: "): cmd = line
        m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            if m.group(2): names[m.group(1)] = m.group(2)
            if m.group(1) in names: seen.add(names[m.group(1)])
    words = cmd.split()[2:]
    if words[:1] == ["--root"]: words = words[2:]
    command = " ".join(words)
    key = next((k for k in priority if command.startswith(k)), command)
    if key == "create" and pid == "1": key = "init"
    used[key] |= seen & defined
init = re.compile(r"9Container(11RootfsSetup|11InitProcess|12ProcessSetup|11CgroupMount|11DeviceSetup|12MountOptions"
                  r"|7Remount|8Loopback|17ContainerSeccomp|11SyncChannel|10HookRunner)"
                  r"|6Kernel(6Mounts|11RootfsPaths|8Identity|15CapabilitySets|7Rlimits|6FileIO|10Namespaces|14ProcessControl)")
try:
    addrs = {}
    for line in open(f"{work}/symbols.addr"):
        a, _, n = line.split(None, 2)
        addrs[int(a, 16)] = n.strip()
    starts = sorted(addrs)
    for line in open(f"{work}/samples"):
        try:
            ip = int(line.split()[0], 16)
        except (ValueError, IndexError):
            continue
        if ip > starts[-1] + (1 << 16):
            continue  # the kernel's, or a library's
        i = bisect.bisect_right(starts, ip) - 1
        if i >= 0:
            used["init"].add(addrs[starts[i]])
except FileNotFoundError:
    pass
used["init"] |= {n for n in defined if init.search(n)}
# Sorted by which commands use a function, the lifecycle's first: every command's functions then lie in
# few runs (the first command's in one), and a text page fault maps the 64 KiB around it (fault-around).
# Sorting by how many commands use a function, as before, spread `start`'s 280 KiB over 41 such windows.
priority += sorted(k for k in used if k not in priority)
everything = set().union(*used.values())
order = sorted(everything, key=lambda n: (tuple(n not in used[k] for k in priority), n))
# The entry point (Sources/CoveEntry) runs first in every command, before glibc's _start.
entry = [n for n in ("cove_entry", "cove_entry_seal") if n in defined]
order = entry + [n for n in order if n not in entry]
functions = len(order)
# Writable data (nm types b, B, d, D) the lackey logs touched, most shared first. Swift objects keep their
# variables in one .data/.bss section per object file, so some whole sections move; the runtime's C++ ones
# are per variable.
data = []
for line in open(f"{work}/data.addr"):
    p = line.split()
    if len(p) == 4:
        data.append((int(p[0], 16), int(p[1], 16), p[3]))
data.sort()
dstarts = [d[0] for d in data]
touched = collections.Counter()
for f in glob.glob(f"{work}/lk/*.log"):
    seen = set()
    for line in open(f, errors="replace"):
        if line[:2] not in (" S", " L", " M"):
            continue
        try:
            a = int(line[3:].split(",")[0], 16)
        except ValueError:
            continue
        i = bisect.bisect_right(dstarts, a) - 1
        if i >= 0 and data[i][0] <= a < data[i][0] + max(data[i][1], 1):
            seen.add(data[i][2])
    touched.update(seen)
order += [n for n, _ in sorted(touched.items(), key=lambda kv: (-kv[1], kv[0]))]
open(out, "w").write("\n".join(order) + "\n")
print(f"hot-symbols: {functions} functions from {len(glob.glob(work + '/out/*.out'))} profiles and "
      f"{len(order) - functions} variables from {len(glob.glob(work + '/lk/*.log'))} access logs -> {out}")
PY
