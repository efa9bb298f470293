import Glibc
import Kernel
import OCI
import Seccomp

/// `linux.seccomp` as the container process loads it: converted to the Seccomp module's filter and checked
/// field by field at `create`, so a bad profile fails there with one line and nothing is made.
public struct ContainerSeccomp {
    public let filter: SeccompFilter
    public let listenerPath: String?
    public let listenerMetadata: String
    /// With no_new_privs the filter can be loaded without CAP_SYS_ADMIN, so as late as possible.
    public let noNewPrivileges: Bool

    /// The filter `spec` asks for, or nil without `linux.seccomp`. Errors name the field (`source` is the
    /// config's path).
    public static func make(_ spec: Spec, source: String = "config.json") throws -> ContainerSeccomp? {
        guard let sc = spec.linux?.seccomp else { return nil }
        func fail(_ field: String, _ why: String) -> SpecError { SpecError("\(source): linux.seccomp.\(field): \(why)") }

        let defaultAction = try action(sc.defaultAction, errnoRet: sc.defaultErrnoRet, field: "defaultAction",
                                       errnoField: "defaultErrnoRet", fail: fail)
        if defaultAction == .notify {
            // runc's rule: every syscall of the init itself would wait on a listener it has not handed over yet.
            throw fail("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
        }
        var archs: [String] = []
        for (i, arch) in (sc.architectures ?? []).enumerated() {
            guard SeccompFilter.supportedArchitectures.contains(arch) else {
                throw fail("architectures[\(i)]", "unknown architecture '\(arch)' (this libseccomp knows \(SeccompFilter.supportedArchitectures.joined(separator: ", ")))")
            }
            archs.append(arch)
        }
        var flags: [String] = []
        for (i, flag) in (sc.flags ?? []).enumerated() {
            guard SeccompFilter.supportedFlags.contains(flag.rawValue) else {
                throw fail("flags[\(i)]", "flag '\(flag.rawValue)' is not supported (supported: \(SeccompFilter.supportedFlags.joined(separator: ", ")))")
            }
            flags.append(flag.rawValue)
        }
        var rules: [SeccompFilter.Rule] = []
        for (i, call) in (sc.syscalls ?? []).enumerated() {
            let field = "syscalls[\(i)]"
            let act = try action(call.action, errnoRet: call.errnoRet, field: "\(field).action", errnoField: "\(field).errnoRet", fail: fail)
            if call.names.isEmpty { throw fail("\(field).names", "must name at least one syscall") }
            for (j, name) in call.names.enumerated() where name.isEmpty || !name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }) {
                throw fail("\(field).names[\(j)]", "'\(name)' is not a syscall name")
            }
            if act == .notify, call.names.contains("write") {
                // The init reports over a socket with write-family calls after the filter is loaded.
                throw fail("\(field)", "SCMP_ACT_NOTIFY cannot be used for the write syscall")
            }
            var conditions: [SeccompFilter.Condition] = []
            for (j, arg) in (call.args ?? []).enumerated() {
                if arg.index > 5 { throw fail("\(field).args[\(j)].index", "\(arg.index) is out of range 0-5") }
                let op = SeccompFilter.Operator(rawValue: arg.op.rawValue)!
                conditions.append(.init(index: arg.index, value: arg.value, valueTwo: arg.valueTwo ?? 0, op: op))
            }
            rules.append(.init(names: call.names, action: act, conditions: conditions))
        }
        let filter = SeccompFilter(defaultAction: defaultAction, architectures: archs, flags: flags, rules: rules)
        if filter.usesNotify {
            guard let path = sc.listenerPath, !path.isEmpty else {
                throw fail("listenerPath", "required when a rule uses SCMP_ACT_NOTIFY (the notify descriptor is sent there)")
            }
        }
        do { try filter.validate() } catch { throw SpecError("\(source): linux.seccomp: \(error)") }
        return ContainerSeccomp(filter: filter, listenerPath: sc.listenerPath, listenerMetadata: sc.listenerMetadata ?? "",
                                noNewPrivileges: spec.process?.noNewPrivileges == true)
    }

    /// The spec's action with its errno. The spec: an errno on an action that takes none is an error.
    static func action(_ a: Linux.Seccomp.Action, errnoRet: UInt32?, field: String, errnoField: String,
                       fail: (String, String) -> SpecError) throws -> SeccompFilter.Action {
        if let e = errnoRet {
            switch a {
            case .errno: if e > 4095 { throw fail(errnoField, "\(e) is out of range 0-4095") }
            case .trace: if e > 65535 { throw fail(errnoField, "\(e) is out of range 0-65535") }
            default: throw fail(errnoField, "\(a.rawValue) takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)")
            }
        }
        do { return try SeccompFilter.Action(name: a.rawValue, errnoRet: errnoRet) } catch { throw fail(field, "\(error)") }
    }

    /// What `cove features` reports: the actions, operators, architectures and flags the filter code handles.
    public static var features: Features.Seccomp {
        Features.Seccomp(
            enabled: true,
            actions: SeccompFilter.supportedActions,
            operators: ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"],
            archs: SeccompFilter.supportedArchitectures,
            knownFlags: SeccompFilter.supportedFlags + ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            supportedFlags: SeccompFilter.supportedFlags)
    }
}
