"""The losses: the registry, the family modules that define them, and their numerics and
input checks. The bottom of the core: nothing here imports another part of the core."""
