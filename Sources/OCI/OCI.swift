// The OCI module: see README's module map.
