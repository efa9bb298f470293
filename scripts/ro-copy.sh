# Sourced (`. scripts/ro-copy.sh`) by the profiling scripts — conformance-scans.sh, hot-symbols.sh,
# hot-faults.sh — which run cove's hot commands on a copy of the binary in a read-only bind mount, in a private
# mount namespace: cove's protective re-exec then sees a read-only file and skips itself, so gdb, valgrind and
# perf follow the very process they started and name its symbols.
#
# ro_copy TAG [BINARY] [strip]: makes $work (/tmp/cove-TAG.XXXXXX, removed on exit) holding ro/cove (a copy of
# BINARY, default .build/release/cove; with `strip` without debug sections, which valgrind 3.19 cannot read —
# the toolchain writes DWARF 5 — and perf does not need), state/ and bundle/ (busybox root filesystem, `runc spec`
# running /bin/true without a terminal); sets $repo and $bin. $RO_MOUNTS holds the shell lines that go first
# in the private namespace: the read-only bind mount and, on a hybrid host, an empty cgroup.controllers over
# the v2 one (crun's check; bench/ does the same).
ro_copy() {
    repo=$(cd "$(dirname "$0")/.." && pwd)
    bin=$(realpath "${2:-$repo/.build/release/cove}")
    work=$(mktemp -d "/tmp/cove-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/ro" "$work/state"
    cp "$bin" "$work/ro/cove"
    if [ "${3:-}" = strip ]; then strip --strip-debug "$work/ro/cove"; fi
    sh "$repo/scripts/mkrootfs.sh" "$work/bundle/rootfs" >/dev/null
    (cd "$work/bundle" && runc spec && sed -i 's/"sh"/"\/bin\/true"/; s/"terminal": true/"terminal": false/' config.json)
    : > "$work/empty"
    RO_MOUNTS="mount --bind $work/ro $work/ro && mount -o remount,bind,ro $work/ro
[ -e /sys/fs/cgroup/unified/cgroup.controllers ] && mount --bind $work/empty /sys/fs/cgroup/unified/cgroup.controllers"
}
