import Glibc
import Kernel
import OCI

/// Where the cgroup manager (issue 5, the `Cgroups` module) plugs into the container lifecycle.
/// Until it lands these are no-ops: `linux.resources` and `linux.cgroupsPath` are accepted (never refused)
/// and `create` warns that the limits are not applied yet.
///
/// - `create(for:)` runs in `cove create` before the init is spawned: build the manager from
///   `linux.cgroupsPath` and the id, `create()` it and `apply(convert(resources))`.
/// - `join(pid:)` runs right after the init reports its PID and before it is told to go on, so every
///   process of the container (and its cgroup namespace) starts inside the cgroup.
/// - `killAll` serves `kill --all` and `delete --force`; `destroy` runs in `delete` and when `create` fails.
struct ContainerCgroups {
    let id: String
    let spec: Spec

    static func create(id: String, spec: Spec, warn: (String) -> Void) throws -> ContainerCgroups {
        let cg = ContainerCgroups(id: id, spec: spec)
        if let r = spec.linux?.resources, r != Resources() {
            _ = convert(r)
            warn("linux.resources: cgroup limits are not applied yet (the cgroup manager is issue 5)")
        }
        return cg
    }

    /// The conversion point from OCI resources to the Cgroups module's own types (issue 5 fills it in).
    static func convert(_ resources: Resources) -> Resources { resources }

    func join(pid: pid_t) throws {}

    /// False when no cgroup manager can signal every process; callers then fall back to the PID namespace.
    func killAll(signal: Int32) throws -> Bool { false }

    func destroy() {}
}
