"""Step 3 of the pipeline, render: the Dockerfile, .dockerignore and the build context's
support files from a project (`dockerfile`), through one Jinja environment (`templating`),
written into the project (`build_context`)."""
