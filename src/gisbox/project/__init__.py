"""The project: its spec (`gisbox.toml`), its lock's data model (`gisbox.lock`), the two
loaded together (`project.Project`), the platform table and the ready profiles."""
