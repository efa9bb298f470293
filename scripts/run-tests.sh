#!/usr/bin/env bash
# Runs the built test binary (`make test` builds it first) the way `swift test` does, with three differences:
# - a deadline (COVE_TEST_TIMEOUT seconds, default 1800): a test that hangs ends the run with the process tree, the
#   kernel wait channels and every thread's backtrace instead of silence until CI's own limit;
# - output line by line: `swift test` holds the runner's output in a buffer, and a run killed from outside loses
#   its last few kilobytes — the lines that would say which test hung;
# - a process a test started and left running while it holds the test output (which `swift test` would wait on
#   for ever) is named, ended by its PID and fails the run.
# Extra arguments go to the runner: scripts/run-tests.sh --filter RuntimeLifecycle
set -uo pipefail
cd "$(dirname "$0")/.."

limit=${COVE_TEST_TIMEOUT:-1800}
grace=${COVE_TEST_OUTPUT_GRACE:-30}
# Only Swift Testing's tests run here (Cove has no XCTest cases); one added later would be silently skipped.
if grep -rqs --include='*.swift' '^import XCTest' Tests; then
    echo "run-tests: Tests/ imports XCTest, which this script does not run: use swift test, or Swift Testing" >&2
    exit 2
fi
# .build/debug is where `swift build --build-tests` puts it (asking SwiftPM leaves three empty /tmp directories).
runner=.build/debug/CovePackageTests.xctest
[ -x "$runner" ] || runner="$(swift build --show-bin-path)/CovePackageTests.xctest"
[ -x "$runner" ] || { echo "run-tests: $runner not found: run 'swift build --build-tests' first" >&2; exit 2; }

work=$(mktemp -d /tmp/cove-test-run.XXXXXX)
out="$work/output"
mkfifo "$out"
trap 'rm -rf "$work"' EXIT

# The relay reads the FIFO until every writer has closed it: the runner and anything that inherited its output.
cat "$out" &
relay=$!
# A background command of a script starts with SIGINT and SIGQUIT ignored, and would pass that on to every
# process the tests start: put them back first.
(trap - INT QUIT; NO_COLOR=1 exec "$runner" --testing-library swift-testing "$@" </dev/null >"$out" 2>&1) &
tests=$!

# PIDs of the processes below $1 (by parent), deepest last.
descendants() {
    local kids
    kids=$(ps -o pid= --ppid "$1" 2>/dev/null) || return 0
    for k in $kids; do echo "$k"; descendants "$k"; done
}

# PIDs of processes with the FIFO open for writing.
holders() {
    local fd
    for fd in /proc/[0-9]*/fd/*; do
        [ "$(readlink "$fd" 2>/dev/null)" = "$out" ] && { p=${fd#/proc/}; echo "${p%%/*}"; }
    done | sort -un | grep -vx "$relay"
}

report_hang() {
    echo "run-tests: the tests are still running after ${limit}s; what they are doing:"
    ps -o pid,ppid,stat,etime,wchan:24,args --forest -p "$(echo "$tests" $(descendants "$tests") | tr ' ' ',')"
    for t in /proc/"$tests"/task/*; do
        printf 'thread %s (%s) waits in %s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" "$(cat "$t/wchan" 2>/dev/null)"
    done
    if command -v gdb >/dev/null; then
        timeout 120 gdb -p "$tests" -batch -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)'
    fi
}

start=$SECONDS
while kill -0 "$tests" 2>/dev/null && [ $((SECONDS - start)) -lt "$limit" ]; do sleep 0.2; done
if kill -0 "$tests" 2>/dev/null; then
    report_hang
    for p in $(descendants "$tests") "$tests"; do kill -KILL "$p" 2>/dev/null; done
    wait "$tests" 2>/dev/null
    status=124
else
    wait "$tests"
    status=$?
fi

# The runner has ended; the relay ends once nothing else holds the output.
deadline=$((SECONDS + grace))
while kill -0 "$relay" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
if kill -0 "$relay" 2>/dev/null; then
    left=$(holders)
    echo "run-tests: processes the tests started still hold their output ${grace}s after the tests ended:"
    [ -n "$left" ] && ps -o pid,ppid,stat,etime,args -p "$(echo $left | tr ' ' ',')"
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
    sleep 2
    kill "$relay" 2>/dev/null
    [ "$status" -eq 0 ] && status=1
fi
wait "$relay" 2>/dev/null
echo "run-tests: exit status $status after $((SECONDS - start))s"
exit "$status"
