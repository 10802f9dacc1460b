"""Local exchange simulator: each venue's real wire format over real HTTP on 127.0.0.1, driven by one
seeded, deterministic market model. The pipeline reaches it by base URL only; same code path as live."""
