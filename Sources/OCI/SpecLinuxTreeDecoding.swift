// `TreeDecodable` for `linux` (SpecLinux.swift) and `linux.resources` (SpecResources.swift).

extension Linux: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        namespaces = try o.optional("namespaces")
        uidMappings = try o.optional("uidMappings")
        gidMappings = try o.optional("gidMappings")
        timeOffsets = try o.optional("timeOffsets")
        devices = try o.optional("devices")
        netDevices = try o.optional("netDevices")
        cgroupsPath = try o.optional("cgroupsPath")
        resources = try o.optional("resources")
        rootfsPropagation = try o.optional("rootfsPropagation")
        seccomp = try o.optional("seccomp")
        sysctl = try o.optional("sysctl")
        maskedPaths = try o.optional("maskedPaths")
        readonlyPaths = try o.optional("readonlyPaths")
        mountLabel = try o.optional("mountLabel")
        intelRdt = try o.optional("intelRdt")
        memoryPolicy = try o.optional("memoryPolicy")
        personality = try o.optional("personality")
    }
}

extension Linux.NamespaceType: TreeDecodable {}
extension Linux.RootfsPropagation: TreeDecodable {}

extension Linux.Namespace: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        type = try o.required("type")
        path = try o.optional("path")
    }
}

extension Linux.TimeOffsets: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        boottime = try o.optional("boottime")
        monotonic = try o.optional("monotonic")
    }
}

extension Linux.TimeOffsets.Offset: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        secs = try o.optional("secs")
        nanosecs = try o.optional("nanosecs")
    }
}

extension Linux.Device: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        type = try o.required("type")
        path = try o.required("path")
        major = try o.optional("major")
        minor = try o.optional("minor")
        fileMode = try o.optional("fileMode")
        uid = try o.optional("uid")
        gid = try o.optional("gid")
    }
}

extension Linux.NetDevice: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        name = try o.optional("name")
    }
}

extension Linux.IntelRdt: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        closID = try o.optional("closID")
        schemata = try o.optional("schemata")
        l3CacheSchema = try o.optional("l3CacheSchema")
        memBwSchema = try o.optional("memBwSchema")
        enableMonitoring = try o.optional("enableMonitoring")
    }
}

extension Linux.MemoryPolicy.Mode: TreeDecodable {}
extension Linux.MemoryPolicy.Flag: TreeDecodable {}

extension Linux.MemoryPolicy: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        mode = try o.optional("mode")
        nodes = try o.optional("nodes")
        flags = try o.optional("flags")
    }
}

extension Linux.Personality.Domain: TreeDecodable {}

extension Linux.Personality: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        domain = try o.optional("domain")
        flags = try o.optional("flags")
    }
}

extension Linux.Seccomp.Action: TreeDecodable {}
extension Linux.Seccomp.Flag: TreeDecodable {}
extension Linux.Seccomp.Operator: TreeDecodable {}

extension Linux.Seccomp: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        defaultAction = try o.required("defaultAction")
        defaultErrnoRet = try o.optional("defaultErrnoRet")
        flags = try o.optional("flags")
        listenerPath = try o.optional("listenerPath")
        listenerMetadata = try o.optional("listenerMetadata")
        architectures = try o.optional("architectures")
        syscalls = try o.optional("syscalls")
    }
}

extension Linux.Seccomp.Arg: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        index = try o.required("index")
        value = try o.required("value")
        valueTwo = try o.optional("valueTwo")
        op = try o.required("op")
    }
}

extension Linux.Seccomp.Syscall: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        names = try o.required("names")
        action = try o.required("action")
        errnoRet = try o.optional("errnoRet")
        args = try o.optional("args")
    }
}

extension Resources: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        devices = try o.optional("devices")
        memory = try o.optional("memory")
        cpu = try o.optional("cpu")
        pids = try o.optional("pids")
        blockIO = try o.optional("blockIO")
        hugepageLimits = try o.optional("hugepageLimits")
        network = try o.optional("network")
        rdma = try o.optional("rdma")
        unified = try o.optional("unified")
    }
}

extension Resources.DeviceRule: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        allow = try o.required("allow")
        type = try o.optional("type")
        major = try o.optional("major")
        minor = try o.optional("minor")
        access = try o.optional("access")
    }
}

extension Resources.Memory: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        limit = try o.optional("limit")
        reservation = try o.optional("reservation")
        swap = try o.optional("swap")
        kernel = try o.optional("kernel")
        kernelTCP = try o.optional("kernelTCP")
        swappiness = try o.optional("swappiness")
        disableOOMKiller = try o.optional("disableOOMKiller")
        useHierarchy = try o.optional("useHierarchy")
        checkBeforeUpdate = try o.optional("checkBeforeUpdate")
    }
}

extension Resources.CPU: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        shares = try o.optional("shares")
        quota = try o.optional("quota")
        burst = try o.optional("burst")
        period = try o.optional("period")
        realtimeRuntime = try o.optional("realtimeRuntime")
        realtimePeriod = try o.optional("realtimePeriod")
        cpus = try o.optional("cpus")
        mems = try o.optional("mems")
        idle = try o.optional("idle")
    }
}

extension Resources.Pids: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        limit = try o.required("limit")
    }
}

extension Resources.BlockIO: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        weight = try o.optional("weight")
        leafWeight = try o.optional("leafWeight")
        weightDevice = try o.optional("weightDevice")
        throttleReadBpsDevice = try o.optional("throttleReadBpsDevice")
        throttleWriteBpsDevice = try o.optional("throttleWriteBpsDevice")
        throttleReadIOPSDevice = try o.optional("throttleReadIOPSDevice")
        throttleWriteIOPSDevice = try o.optional("throttleWriteIOPSDevice")
    }
}

extension Resources.BlockIO.WeightDevice: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        major = try o.required("major")
        minor = try o.required("minor")
        weight = try o.optional("weight")
        leafWeight = try o.optional("leafWeight")
    }
}

extension Resources.BlockIO.ThrottleDevice: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        major = try o.required("major")
        minor = try o.required("minor")
        rate = try o.optional("rate")
    }
}

extension Resources.HugepageLimit: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        pageSize = try o.required("pageSize")
        limit = try o.required("limit")
    }
}

extension Resources.Network: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        classID = try o.optional("classID")
        priorities = try o.optional("priorities")
    }
}

extension Resources.Network.Priority: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        name = try o.required("name")
        priority = try o.required("priority")
    }
}

extension Resources.Rdma: TreeDecodable {
    public init(tree: TreeNode) throws {
        let o = try tree.object()
        hcaHandles = try o.optional("hcaHandles")
        hcaObjects = try o.optional("hcaObjects")
    }
}
