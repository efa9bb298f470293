/* The least a `netns add NAME` / `netns delete NAME` can do, as iproute2 and Cove do it, with nothing else:
 * no argument parsing, no messages, no runtime. Built static (no dynamic loader), it is the floor any
 * implementation pays on this machine: process start, the kernel's network namespace, two mounts.
 * Used by bench/floor/netns.sh only; it is not part of Cove. Usage: netns_floor add|delete NAME */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", argv[2]);
    if (strcmp(argv[1], "add") == 0) {
        int dir = open("/run/netns", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || flock(dir, LOCK_EX) != 0) return 1;
        if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) != 0) return 1;
        int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
        if (f < 0) return 1;
        close(f);
        if (unshare(CLONE_NEWNET) != 0) return 1;
        if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) != 0) return 1;
        return 0;
    }
    if (umount2(path, MNT_DETACH) != 0) return 1;
    return unlink(path) == 0 ? 0 : 1;
}
