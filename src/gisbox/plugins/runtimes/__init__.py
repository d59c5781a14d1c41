"""Runtimes (what the final stage is), one module each, found by `gisbox.plugins.registry`
(see `gisbox.plugins.api.Runtime` for what one provides)."""
