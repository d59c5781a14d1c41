"""What is inside an image: its filesystem scanned (`scan`), vendored libraries identified
(`libraries`), a CycloneDX SBOM (`cyclonedx`), and a scanner run on it (`audit`)."""
