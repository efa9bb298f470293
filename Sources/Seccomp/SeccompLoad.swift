import CSeccomp
import Glibc
import Kernel

extension SeccompFilter {
    /// Checks names of architectures and flags, so a bad profile fails at `create`, not in the container.
    public func validate() throws {
        for arch in architectures where !Self.supportedArchitectures.contains(arch) {
            throw CoveError("seccomp: unknown architecture \(arch)")
        }
        for flag in flags where !Self.supportedFlags.contains(flag) {
            throw CoveError("seccomp: unsupported flag \(flag)")
        }
        for rule in rules {
            if rule.names.isEmpty { throw CoveError("seccomp: a syscalls entry has no names") }
            for c in rule.conditions where c.index > 5 {
                throw CoveError("seccomp: syscall \(rule.names[0]): argument index \(c.index) out of range 0-5")
            }
        }
    }

    /// Builds the filter in libseccomp, loads it into this process (seccomp_load), and returns the notify
    /// listener fd when a rule uses SCMP_ACT_NOTIFY.
    /// Syscall names this libseccomp does not know for the architecture are skipped, as runc does: a profile
    /// written for newer kernels still loads.
    @discardableResult
    public func load() throws -> Int32? {
        try validate()
        guard let ctx = seccomp_init(defaultAction.raw) else { throw CoveError("seccomp_init: failed") }
        defer { seccomp_release(ctx) }
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set NNP")
        for flag in flags {
            switch flag {
            case "SECCOMP_FILTER_FLAG_TSYNC": try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), "seccomp_attr_set TSYNC")
            case "SECCOMP_FILTER_FLAG_LOG": try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1), "seccomp_attr_set LOG")
            case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1), "seccomp_attr_set SSB")
            default: break
            }
        }
        for arch in architectures {
            let token = seccomp_arch_resolve_name(String(arch.dropFirst("SCMP_ARCH_".count)).lowercased())
            if token == 0 { throw CoveError("seccomp: libseccomp does not know architecture \(arch)") }
            let rc = seccomp_arch_add(ctx, token)
            if rc != 0 && rc != -EEXIST { throw SyscallError("seccomp_arch_add", arch, errno: .init(rawValue: -rc)) }
        }
        for rule in rules where rule.action != defaultAction {
            for name in rule.names {
                let nr = seccomp_syscall_resolve_name(name)
                if nr == __NR_SCMP_ERROR { continue }
                try add(ctx, rule, nr, name)
            }
        }
        try check(seccomp_load(ctx), "seccomp_load")
        guard usesNotify else { return nil }
        let fd = seccomp_notify_fd(ctx)
        if fd < 0 { throw SyscallError("seccomp_notify_fd", errno: .init(rawValue: -fd)) }
        return fd
    }

    /// libseccomp refuses two conditions on one argument in a rule; like runc, such a rule becomes one rule
    /// per condition (any of them matches).
    private func add(_ ctx: scmp_filter_ctx, _ rule: Rule, _ nr: Int32, _ name: String) throws {
        let indices = rule.conditions.map(\.index)
        let groups: [[Condition]] = Set(indices).count == indices.count ? [rule.conditions] : rule.conditions.map { [$0] }
        for group in groups {
            var args = group.map { c in scmp_arg_cmp(arg: c.index, op: c.op.raw, datum_a: c.value, datum_b: c.valueTwo) }
            let rc = args.withUnsafeMutableBufferPointer { buf in
                seccomp_rule_add_array(ctx, rule.action.raw, nr, UInt32(buf.count), buf.baseAddress)
            }
            if rc != 0 { throw SyscallError("seccomp_rule_add", name, errno: .init(rawValue: -rc)) }
        }
    }

    private func check(_ rc: Int32, _ call: String) throws {
        if rc != 0 { throw SyscallError(call, errno: .init(rawValue: -rc)) }
    }
}
