"""Steps 4 to 6 of the pipeline: build the image (`build`), verify it inside (`verify`),
push it (`push`); the CA bundle a build trusts (`cacert`), what is known of a built image
(`state`), and fingerprints compared (`diff`)."""
