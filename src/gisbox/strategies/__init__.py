"""Strategies, one module each, found by `gisbox.plugins` (see
`gisbox.plugin_api.Strategy` for what one provides)."""
