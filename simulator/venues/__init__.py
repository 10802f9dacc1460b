"""Per-venue route sets of the simulator, each speaking that venue's exact wire format."""
