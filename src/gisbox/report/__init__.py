"""The picture of an image (`gisbox report`, `.gisbox/report.html`): where its bytes go
(`sizes`), laid out as a treemap (`treemap`), with its layers, the check's findings, the
stack, the SBOM's summary and drift against another fingerprint, in one self-contained
HTML page (`page`)."""
