"""The verification suite: `gisbox check` (every probe, the fingerprint) and `gisbox
healthcheck` (the fast subset). Standard library and the stack it checks only."""
