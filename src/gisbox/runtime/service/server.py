"""`gisbox serve`: run the API with uvicorn; SIGTERM lets in-flight requests finish."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any


def parser() -> argparse.ArgumentParser:
    from gisbox.runtime.service.config import environment

    return argparse.ArgumentParser(
        prog="gisbox serve",
        description="Serve the spatial HTTP API (FastAPI + uvicorn), configured by "
        "environment variables.",
        epilog="environment:\n" + "".join(f"  {k}: {v}\n" for k, v in environment().items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str]) -> int:
    try:
        parser().parse_args(argv)
    except SystemExit as exc:  # usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    try:
        import uvicorn

        from gisbox.runtime.service.app import create_app
        from gisbox.runtime.service.config import Settings
    except ImportError as exc:
        print(
            f"gisbox serve needs FastAPI and uvicorn in the image ({exc}); "
            "use the `service` profile",
            file=sys.stderr,
        )
        return 2
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    # several workers need an import string: each worker process builds its own app, and
    # spawned workers must find gisbox where this process did (/opt/gisbox in images)
    root = str(Path(__file__).resolve().parents[3])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p
    )
    app: Any = (
        "gisbox.runtime.service.server:app_from_env"
        if settings.workers > 1
        else create_app(settings)
    )
    uvicorn.run(
        app,
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_seconds,
    )
    return 0


def app_from_env() -> Any:
    """The app for one uvicorn worker process (GISBOX_WORKERS > 1)."""
    from gisbox.runtime.service.app import create_app
    from gisbox.runtime.service.config import Settings

    return create_app(Settings.from_env())
