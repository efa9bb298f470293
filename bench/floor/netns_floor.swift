// netns_floor.c's syscalls from the smallest static Swift program: no Cove module, no Foundation, no
// ArgumentParser — only the Swift runtime's start and exit on top of static glibc's. The floor any Swift
// implementation of `netns add`/`delete` pays on this machine. Used by bench/floor/netns.sh only; not part
// of Cove. Usage: netns_floor_swift add|delete NAME
import Glibc

// Glibc's module map leaves unshare(2) out (it sits behind _GNU_SOURCE); bind the C symbol directly.
@_silgen_name("unshare") func unshareNamespaces(_ flags: Int32) -> Int32
let cloneNewNet: Int32 = 0x4000_0000

let argv = CommandLine.unsafeArgv
guard CommandLine.argc == 3, let verb = argv[1], let name = argv[2] else { exit(2) }
let path = "/run/netns/" + String(cString: name)
if strcmp(verb, "add") == 0 {
    let dir = open("/run/netns", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dir >= 0, flock(dir, LOCK_EX) == 0 else { exit(1) }
    guard mount("", "/run/netns", "none", UInt(MS_SHARED | MS_REC), nil) == 0 else { exit(1) }
    let file = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
    guard file >= 0 else { exit(1) }
    close(file)
    guard unshareNamespaces(cloneNewNet) == 0 else { exit(1) }
    guard mount("/proc/thread-self/ns/net", path, nil, UInt(MS_BIND), nil) == 0 else { exit(1) }
    exit(0)
}
guard umount2(path, Int32(MNT_DETACH)) == 0 else { exit(1) }
exit(unlink(path) == 0 ? 0 : 1)
