// The Cgroups module: see README's module map.
