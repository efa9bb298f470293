/// The config.json `cove spec` writes: runc's default (runs `sh` with a terminal, the usual mounts,
/// masked and readonly paths, a small capability set), or its rootless variant.
public enum DefaultSpec {
    public static func make(rootless: Bool = false, uid: UInt32 = 0, gid: UInt32 = 0) -> Spec {
        var spec = Spec(ociVersion: Spec.version)
        var process = Process(args: ["sh"], cwd: "/")
        process.terminal = true
        process.user = Process.User(uid: 0, gid: 0)
        process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        process.capabilities = Process.Capabilities(bounding: caps, effective: caps, permitted: caps, ambient: caps)
        process.rlimits = [Process.Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)]
        process.noNewPrivileges = true
        spec.process = process
        spec.root = Root(path: "rootfs", readonly: true)
        spec.hostname = "cove"
        spec.mounts = [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] + (rootless ? [] : ["gid=5"])),
            Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            rootless
                ? Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
                : Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        ]
        if !rootless {
            spec.mounts?.append(Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                                      options: ["nosuid", "noexec", "nodev", "relatime", "ro"]))
        }
        var linux = Linux()
        var namespaces: [Linux.NamespaceType] = [.pid, .network, .ipc, .uts, .mount, .cgroup]
        if rootless {
            // runc's rootless spec shares the host's network; Cove gives the container its own namespace
            // (only lo, brought up by the init): an unprivileged user may make one inside its user namespace.
            namespaces = [.pid, .network, .ipc, .uts, .mount, .cgroup, .user]
            linux.uidMappings = [IDMapping(containerID: 0, hostID: uid, size: 1)]
            linux.gidMappings = [IDMapping(containerID: 0, hostID: gid, size: 1)]
        } else {
            var resources = Resources()
            resources.devices = [Resources.DeviceRule(allow: false, access: "rwm")]
            linux.resources = resources
        }
        linux.namespaces = namespaces.map { Linux.Namespace(type: $0) }
        linux.maskedPaths = [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        ]
        linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        spec.linux = linux
        return spec
    }
}
