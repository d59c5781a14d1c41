"""Base-image families, one module each, found by `gisbox.plugins` (see
`gisbox.plugin_api.Family` for what one provides)."""
