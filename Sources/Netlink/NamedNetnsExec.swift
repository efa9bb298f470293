import CLinux
import Glibc
import Kernel

extension NamedNetns {
    /// `ip netns exec`: joins the namespace, takes a private mount namespace so /sys can show the namespace's
    /// own devices and /etc/netns/NAME/* can cover /etc/*, then replaces this process with the command.
    public static func exec(_ name: String, _ argv: [String]) throws -> Never {
        guard !argv.isEmpty else { throw CoveError("netns exec \(name): no command given") }
        let file = try existing(name)
        let fd = try NetNamespace.open(path: file)
        try Namespaces.setns(fd, .newNet, file)
        close(fd)
        try Namespaces.unshare(.newMount)
        // Nothing done below may propagate back to the host.
        try Mounts.setPropagation(.slave, of: "/", recursive: true)
        var sysFlags: MountFlags = []
        if umount2("/sys", Int32(MNT_DETACH)) != 0 {
            // No sysfs to take away, or it is busy: cover it, read-only if what is there is read-only.
            var vfs = statvfs()
            if statvfs("/sys", &vfs) == 0 && vfs.f_flag & UInt(ST_RDONLY) != 0 { sysFlags = .readOnly }
        }
        try Mounts.mount(source: name, target: "/sys", type: "sysfs", flags: sysFlags)
        bindEtc(name)
        try ProcessControl.exec(argv)
    }

    /// Bind-mounts each /etc/netns/NAME/ENTRY over /etc/ENTRY; like iproute2 a failure is reported and skipped.
    static func bindEtc(_ name: String) {
        let dir = "/etc/netns/\(name)"
        guard FileIO.isDirectory(dir), let entries = try? FileIO.list(dir) else { return }
        for entry in entries.sorted() {
            do {
                try Mounts.bind("\(dir)/\(entry)", on: "/etc/\(entry)")
            } catch {
                fputs("cove: netns exec: bind \(dir)/\(entry) -> /etc/\(entry) failed: \(error)\n", stderr)
            }
        }
    }
}
