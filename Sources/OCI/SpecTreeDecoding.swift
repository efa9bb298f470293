// `TreeDecodable` for the types of Spec.swift: each field in declaration order, under its property name.

extension Spec: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        ociVersion = try o.required("ociVersion")
        process = try o.optional("process")
        root = try o.optional("root")
        hostname = try o.optional("hostname")
        domainname = try o.optional("domainname")
        mounts = try o.optional("mounts")
        hooks = try o.optional("hooks")
        annotations = try o.optional("annotations")
        linux = try o.optional("linux")
        freebsd = try o.optional("freebsd")
        solaris = try o.optional("solaris")
        windows = try o.optional("windows")
        vm = try o.optional("vm")
        zos = try o.optional("zos")
    }
}

extension Root: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        path = try o.required("path")
        readonly = try o.optional("readonly")
    }
}

extension Mount: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        destination = try o.required("destination")
        source = try o.optional("source")
        options = try o.optional("options")
        type = try o.optional("type")
        uidMappings = try o.optional("uidMappings")
        gidMappings = try o.optional("gidMappings")
    }
}

extension IDMapping: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        containerID = try o.required("containerID")
        hostID = try o.required("hostID")
        size = try o.required("size")
    }
}

extension Process: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        terminal = try o.optional("terminal")
        consoleSize = try o.optional("consoleSize")
        user = try o.optional("user")
        args = try o.optional("args")
        commandLine = try o.optional("commandLine")
        env = try o.optional("env")
        cwd = try o.required("cwd")
        capabilities = try o.optional("capabilities")
        rlimits = try o.optional("rlimits")
        noNewPrivileges = try o.optional("noNewPrivileges")
        apparmorProfile = try o.optional("apparmorProfile")
        oomScoreAdj = try o.optional("oomScoreAdj")
        scheduler = try o.optional("scheduler")
        selinuxLabel = try o.optional("selinuxLabel")
        ioPriority = try o.optional("ioPriority")
        execCPUAffinity = try o.optional("execCPUAffinity")
    }
}

extension Process.ConsoleSize: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        height = try o.required("height")
        width = try o.required("width")
    }
}

extension Process.User: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        uid = try o.optional("uid")
        gid = try o.optional("gid")
        umask = try o.optional("umask")
        additionalGids = try o.optional("additionalGids")
        username = try o.optional("username")
    }
}

extension Process.Capabilities: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        bounding = try o.optional("bounding")
        effective = try o.optional("effective")
        inheritable = try o.optional("inheritable")
        permitted = try o.optional("permitted")
        ambient = try o.optional("ambient")
    }
}

extension Process.Rlimit: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        type = try o.required("type")
        hard = try o.required("hard")
        soft = try o.required("soft")
    }
}

extension Process.Scheduler.Policy: TreeDecodable {}
extension Process.Scheduler.Flag: TreeDecodable {}

extension Process.Scheduler: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        policy = try o.required("policy")
        nice = try o.optional("nice")
        priority = try o.optional("priority")
        flags = try o.optional("flags")
        runtime = try o.optional("runtime")
        deadline = try o.optional("deadline")
        period = try o.optional("period")
    }
}

extension Process.IOPriority.Class: TreeDecodable {}

extension Process.IOPriority: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        `class` = try o.required("class")
        priority = try o.optional("priority")
    }
}

extension Process.CPUAffinity: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        initial = try o.optional("initial")
        final = try o.optional("final")
    }
}

extension Hook: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        path = try o.required("path")
        args = try o.optional("args")
        env = try o.optional("env")
        timeout = try o.optional("timeout")
    }
}

extension Hooks: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        prestart = try o.optional("prestart")
        createRuntime = try o.optional("createRuntime")
        createContainer = try o.optional("createContainer")
        startContainer = try o.optional("startContainer")
        poststart = try o.optional("poststart")
        poststop = try o.optional("poststop")
    }
}

extension FreeBSD.SharingMode: TreeDecodable {}
extension FreeBSD.SharingModeNoDisable: TreeDecodable {}

extension FreeBSD: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        devices = try o.optional("devices")
        jail = try o.optional("jail")
    }
}

extension FreeBSD.Device: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        path = try o.optional("path")
        mode = try o.optional("mode")
    }
}

extension FreeBSD.Jail: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        parent = try o.optional("parent")
        host = try o.optional("host")
        ip4 = try o.optional("ip4")
        ip4Addr = try o.optional("ip4Addr")
        ip6 = try o.optional("ip6")
        ip6Addr = try o.optional("ip6Addr")
        vnet = try o.optional("vnet")
        interface = try o.optional("interface")
        vnetInterfaces = try o.optional("vnetInterfaces")
        sysvmsg = try o.optional("sysvmsg")
        sysvsem = try o.optional("sysvsem")
        sysvshm = try o.optional("sysvshm")
        enforceStatfs = try o.optional("enforceStatfs")
        allow = try o.optional("allow")
    }
}

extension FreeBSD.Jail.Allow: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        setHostname = try o.optional("setHostname")
        rawSockets = try o.optional("rawSockets")
        chflags = try o.optional("chflags")
        mount = try o.optional("mount")
        quotas = try o.optional("quotas")
        socketAf = try o.optional("socketAf")
        mlock = try o.optional("mlock")
        reservedPorts = try o.optional("reservedPorts")
        suser = try o.optional("suser")
    }
}
