import CLinux
import Glibc

/// Idmapped bind mounts (mount_setattr MOUNT_ATTR_IDMAP): a clone of a directory tree whose file owners
/// appear translated through a user namespace's maps.
public enum IDMappedMounts {
    /// A user namespace holding these maps, made by a short-lived child; returns a descriptor of it.
    public static func userNamespace(uid: [IDMapping], gid: [IDMapping]) throws -> Int32 {
        let hold = try Pipe(), ready = try Pipe()
        let pid = try ProcessControl.fork()
        if pid == 0 {
            hold.closeWrite()
            ready.closeRead()
            if cove_unshare(Int32(CLONE_NEWUSER)) != 0 { ProcessControl.exitChild(1) }
            try? ready.signal()
            _ = try? hold.wait()
            ProcessControl.exitChild(0)
        }
        hold.closeRead()
        ready.closeWrite()
        defer {
            hold.closeWrite()
            ready.closeRead()
            _ = try? ProcessControl.wait(pid)
        }
        guard try ready.wait() != nil else { throw CoveError("idmapped mount: could not create a user namespace") }
        try IDMap.writeUIDMap(pid: pid, uid)
        try IDMap.writeGIDMap(pid: pid, gid)
        return try syscallCheck("open", "/proc/\(pid)/ns/user") { cove_open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC, 0) }
    }

    /// Clones `source` (with `recursive`, its submounts too), idmaps it (with `recursiveIDMap`, every mount of
    /// the clone) and attaches it on the directory or file open as `target` (an O_PATH descriptor).
    public static func bind(source: String, target: Int32, what: String, userNamespace: Int32, recursive: Bool, recursiveIDMap: Bool) throws {
        let flags = UInt32(COVE_OPEN_TREE_CLONE) | UInt32(O_CLOEXEC) | (recursive ? UInt32(COVE_AT_RECURSIVE) : 0)
        let tree = try syscallCheck("open_tree", source) { cove_open_tree(AT_FDCWD, source, flags) }
        defer { close(tree) }
        var attr = cove_mount_attr(attr_set: COVE_MOUNT_ATTR_IDMAP, attr_clr: 0, propagation: 0, userns_fd: UInt64(userNamespace))
        let setFlags = UInt32(COVE_AT_EMPTY_PATH) | (recursiveIDMap ? UInt32(COVE_AT_RECURSIVE) : 0)
        try syscallCheck("mount_setattr MOUNT_ATTR_IDMAP", source) { cove_mount_setattr(tree, "", setFlags, &attr) }
        let moveFlags = UInt32(COVE_MOVE_MOUNT_F_EMPTY_PATH) | 0x40 /* MOVE_MOUNT_T_EMPTY_PATH */
        try syscallCheck("move_mount", what) { cove_move_mount(tree, "", target, "", moveFlags) }
    }
}
