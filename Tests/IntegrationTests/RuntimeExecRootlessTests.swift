import Foundation
import Testing

@Suite("Runtime exec rootless", .serialized, .enabled(if: RootlessBundle.available, "needs root (to make the unprivileged user's bundle), /bin/busybox and the covetest user"))
struct RuntimeExecRootlessTests {
    @Test("as an unprivileged user: exec joins the container's user namespace first, then the rest; status passes through")
    func execAsUser() throws {
        let b = try RootlessBundle()
        b.script("while true; do sleep 0.2; done")
        try b.writeConfig()
        let id = b.newID()
        defer { _ = try? b.cove(["delete", "--force", id]) }
        #expect(try b.coveToFiles(["run", "-d", "--bundle", b.bundle, id]).status == 0)
        let s = try b.cove(["state", id])
        let initPID = (try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])?["pid"] as? Int ?? 0
        #expect(initPID > 0, "\(s)")
        let r = try b.cove(["exec", "-e", "X=y", id, "sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' '; echo $X; for n in user mnt pid net; do readlink /proc/self/ns/$n; done; exit 9", b.marker])
        #expect(r.status == 9, "\(r)")
        #expect(r.stderrBeyondRootlessWarnings.filter { !$0.contains("cgroups it may not join") }.isEmpty, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(r)")
        guard lines.count == 7 else { return }
        #expect(lines[0] == "0" && lines[1] == " 0 \(b.uid) 1" && lines[2] == "y", "\(r)")
        for (i, n) in ["user", "mnt", "pid", "net"].enumerated() {
            #expect(lines[3 + i] == ProcInfo.link("/proc/\(initPID)/ns/\(n)"), "\(n): \(r)")
            #expect(lines[3 + i] != ProcInfo.link("/proc/self/ns/\(n)"), "\(n) is the host's: \(r)")
        }
        #expect(try b.cove(["delete", "--force", id]).status == 0)
        b.assertClean(b.xdg + "/cove")
    }
}
