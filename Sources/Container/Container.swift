// The Container module: see README's module map.
