/// The parts of the JSON Schema that typed decoding cannot express: patterns, ranges, minItems.
enum SchemaChecks {
    static func check(_ spec: Spec, source: String) throws {
        func fail(_ field: String, _ why: String) -> SpecError { SpecError("\(source): \(field): \(why)") }

        if let rl = spec.process?.rlimits {
            for (i, r) in rl.enumerated() where !matches(r.type, prefix: "RLIMIT_", rest: isUpperOrUnderscore) {
                throw fail("process.rlimits[\(i)].type", "'\(r.type)' does not match ^RLIMIT_[A-Z]+$")
            }
        }
        if let a = spec.process?.execCPUAffinity {
            for (name, v) in [("initial", a.initial), ("final", a.final)] {
                if let v, !v.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == " " || $0 == "-") }) {
                    throw fail("process.execCPUAffinity.\(name)", "'\(v)' is not a CPU list")
                }
            }
        }
        for (kind, hooks) in spec.hooks?.all ?? [] {
            for (i, h) in hooks.enumerated() {
                if let t = h.timeout, t < 1 { throw fail("hooks.\(kind)[\(i)].timeout", "must be at least 1, got \(t)") }
            }
        }
        for (key, _) in spec.annotations ?? [:] where key.isEmpty { throw fail("annotations", "empty key") }
        if let linux = spec.linux {
            for (i, d) in (linux.devices ?? []).enumerated() {
                if !["c", "b", "u", "p"].contains(d.type) {
                    throw fail("linux.devices[\(i)].type", "'\(d.type)' is not one of c, b, u, p")
                }
                if let m = d.fileMode, m > 0o777 { throw fail("linux.devices[\(i)].fileMode", "\(m) is above 511") }
            }
            for (i, h) in (linux.resources?.hugepageLimits ?? []).enumerated() where !validPageSize(h.pageSize) {
                throw fail("linux.resources.hugepageLimits[\(i)].pageSize", "'\(h.pageSize)' does not match ^[1-9][0-9]*[KMG]B$")
            }
            for (key, _) in linux.sysctl ?? [:] where key.isEmpty { throw fail("linux.sysctl", "empty key") }
            if let mb = linux.intelRdt?.memBwSchema, !mb.hasPrefix("MB:") || mb.contains("\n") {
                throw fail("linux.intelRdt.memBwSchema", "'\(mb)' does not match ^MB:[^\\n]*$")
            }
            if let sc = linux.seccomp {
                for (i, arch) in (sc.architectures ?? []).enumerated() where !seccompArchs.contains(arch) {
                    throw fail("linux.seccomp.architectures[\(i)]", "invalid value '\(arch)'")
                }
                for (i, s) in (sc.syscalls ?? []).enumerated() where s.names.isEmpty {
                    throw fail("linux.seccomp.syscalls[\(i)].names", "must name at least one syscall")
                }
            }
        }
        for (i, d) in (spec.freebsd?.devices ?? []).enumerated() {
            if let m = d.mode, m > 0o777 { throw fail("freebsd.devices[\(i)].mode", "\(m) is above 511") }
        }
    }

    static func isUpperOrUnderscore(_ c: Character) -> Bool { c.isASCII && (c.isUppercase || c == "_") }

    static func matches(_ s: String, prefix: String, rest: (Character) -> Bool) -> Bool {
        s.hasPrefix(prefix) && s.count > prefix.count && s.dropFirst(prefix.count).allSatisfy(rest)
    }

    static func validPageSize(_ s: String) -> Bool {
        guard s.hasSuffix("B"), s.count >= 3 else { return false }
        let body = s.dropLast()
        guard let unit = body.last, "KMG".contains(unit) else { return false }
        let digits = body.dropLast()
        guard let first = digits.first, first != "0" else { return false }
        return digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static let seccompArchs: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
        "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]
}

extension Hooks {
    /// The hook lists in lifecycle order, with their spec names.
    public var all: [(String, [Hook])] {
        [("prestart", prestart ?? []), ("createRuntime", createRuntime ?? []), ("createContainer", createContainer ?? []),
         ("startContainer", startContainer ?? []), ("poststart", poststart ?? []), ("poststop", poststop ?? [])]
    }
}
