"""`gisbox serve`: run the API with uvicorn; SIGTERM lets in-flight requests finish."""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    try:
        import uvicorn

        from gisbox.service.app import create_app
        from gisbox.service.config import ENVIRONMENT, Settings
    except ImportError as exc:
        print(
            f"gisbox serve needs FastAPI and uvicorn in the image ({exc}); "
            "use the `service` profile",
            file=sys.stderr,
        )
        return 2
    if argv[:1] in (["-h"], ["--help"]):
        print("usage: gisbox serve\nconfigured by environment variables:")
        for name, text in ENVIRONMENT.items():
            print(f"  {name}: {text}")
        return 0
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_seconds,
    )
    return 0
