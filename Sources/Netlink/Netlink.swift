// The Netlink module: see README's module map.
