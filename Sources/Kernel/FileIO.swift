import CLinux
import Glibc
import SystemPackage

/// Small file helpers that avoid Foundation: the runtime's hot paths read and write many tiny files
/// under /proc and /sys.
public enum FileIO {
    /// Reads a whole file (open(2) + read(2)); works for /proc files whose size reads as 0.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = try syscallCheck("open", path) { cove_open(path, O_RDONLY | O_CLOEXEC, 0) }
        defer { close(fd) }
        return try readAll(fd: fd, path: path)
    }

    public static func readAll(fd: Int32, path: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try chunk.withUnsafeMutableBytes { buf in
                try syscallCheck("read", path) { Glibc.read(fd, buf.baseAddress, buf.count) }
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func readString(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes `contents` in one write(2) — /proc files such as uid_map need the whole map in a single write.
    public static func write(_ path: String, _ contents: String, create: Bool = false, mode: mode_t = 0o644) throws {
        let flags = O_WRONLY | O_CLOEXEC | (create ? (O_CREAT | O_TRUNC) : 0)
        let fd = try syscallCheck("open", path) { cove_open(path, flags, mode) }
        defer { close(fd) }
        var bytes = Array(contents.utf8)
        let n = try bytes.withUnsafeMutableBytes { buf in
            try syscallCheck("write", path) { Glibc.write(fd, buf.baseAddress, buf.count) }
        }
        if n != bytes.count { throw CoveError("write \(path): short write (\(n) of \(bytes.count) bytes)") }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The file system type (statfs(2)'s f_type: a magic number such as 0x63677270 for cgroup2); nil where
    /// statfs fails.
    public static func fileSystemType(_ path: String) -> Int? {
        let type = cove_statfs_type(path)
        return type < 0 ? nil : type
    }

    /// Creates a directory and its parents (mkdir -p).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            // append(contentsOf: Substring), not `+ part`: the generic Sequence overload resolved its witnesses
            // at run time, 200K instructions on first use.
            prefix.append("/")
            prefix.append(contentsOf: part)
            if mkdir(prefix, mode) != 0 && cove_errno() != EEXIST {
                throw SyscallError.last("mkdir", prefix)
            }
        }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) throws -> [String] {
        var names: [String] = []
        try forEachEntry(path) { name, _ in names.append(name) }
        return names
    }

    /// The subdirectories of `path`, from readdir's d_type (lstat only where the file system gives none).
    public static func listDirectories(_ path: String) throws -> [String] {
        var names: [String] = []
        try forEachEntry(path) { name, type in
            switch Int32(type) {
            case Int32(DT_DIR): names.append(name)
            case Int32(DT_UNKNOWN):
                var st = stat()
                if lstat("\(path)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
            default: break
            }
        }
        return names
    }

    /// opendir/readdir: each entry's name and d_type, without "." and "..".
    static func forEachEntry(_ path: String, _ body: (String, UInt8) -> Void) throws {
        guard let dir = opendir(path) else { throw SyscallError.last("opendir", path) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { body(name, entry.pointee.d_type) }
        }
    }

    /// The target of a symbolic link (readlink(2)).
    public static func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = try syscallCheck("readlink", path) { readlink(path, &buf, 4096) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
