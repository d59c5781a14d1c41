"""The `gisbox` command line: one thin click command per verb over the library, one module
per family of commands, put together here with `add_command` (as rasterio's `rio` does).

Errors are handled once, in `GisboxGroup` (`gisbox.cli.options`): a `GisboxError` prints
`error: …` and its `fix:` hint and exits with its class's code.
"""

from __future__ import annotations

import click

from gisbox import __version__
from gisbox.cli import deploy, image, project, report, sbom, stack, verify
from gisbox.cli.options import GisboxGroup


@click.group(cls=GisboxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gisbox")
def cli() -> None:
    """Build small, verified production images of Python geospatial stacks."""


for command in (
    project.init, project.lock, project.dockerfile, project.base,  # spec and lock
    image.build, image.push, stack.stack,  # the image, and the stacks it copies from
    verify.check, verify.healthcheck, verify.run, verify.evaluate, verify.diff,  # anywhere
    report.report, sbom.sbom, sbom.audit,  # what is in an image
    deploy.k8s, deploy.cluster,  # beyond one container
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    cli()
