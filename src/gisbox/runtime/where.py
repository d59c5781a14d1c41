"""Where gisbox runs: inside an image gisbox built (its in-image copy lives under
/opt/gisbox), or on a host (installed with pip). A fix differs between the two: in an
image it is the project's gisbox.toml (then `gisbox lock` and `gisbox build`); on a host,
pip. Standard library only."""

from __future__ import annotations

from pathlib import Path

IMAGE_ROOT = Path("/opt/gisbox")  # where the image's Dockerfile copies gisbox.runtime


def in_image() -> bool:
    """Whether this gisbox is the copy an image carries."""
    return Path(__file__).resolve().is_relative_to(IMAGE_ROOT)


def fix(*, host: str, image: str) -> str:
    """The hint that fits where this runs."""
    return image if in_image() else host


def image_packages(*names: str) -> str:
    """The fix in an image: the packages join the project's image."""
    listed = ", ".join(names)
    return (
        f"add {listed} to [python] packages in gisbox.toml (the analysis profile has "
        f"{'them' if len(names) > 1 else 'it'}), then `gisbox lock` and `gisbox build`"
    )
