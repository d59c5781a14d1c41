"""Container engines: the interface (`base`), the shared client plumbing (`cli_engine`),
one module per engine (each exposes `ENGINE`), and the registry that picks one."""
