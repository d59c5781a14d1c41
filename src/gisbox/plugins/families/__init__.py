"""Base-image families, one module each, found by `gisbox.plugins.registry` (see
`gisbox.plugins.api.Family` for what one provides)."""
