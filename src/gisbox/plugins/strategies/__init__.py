"""Strategies, one module each, found by `gisbox.plugins.registry` (see
`gisbox.plugins.api.Strategy` for what one provides)."""
