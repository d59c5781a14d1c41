"""The request context every request gets, as plain ASGI middleware (Starlette's
`BaseHTTPMiddleware` costs a task and a stream per request: a third of a one-point
transformation's time): a request id (`x-request-id`, honoured and returned), the body
limit, one JSON log line, and a JSON 500 for anything a route lets escape; the process
survives anything a request does."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gisbox.runtime.service")


def _json_answer(status: int, message: str, request_id: str) -> tuple[Message, Message]:
    body = json.dumps({"error": message, "request_id": request_id}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode("latin-1")),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        answer: dict[str, Any] = {"status": 500, "started": False}
        rid_header = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["started"] = message["status"], True
                message = {**message, "headers": [*message.get("headers", ()), rid_header]}
            await send(message)

        limit = scope["app"].state.settings.max_body_bytes
        length = headers.get(b"content-length", b"")
        try:
            if length.isdigit() and int(length) > limit:
                answer["status"] = 413
                for message in _json_answer(413, f"body larger than {limit} bytes", rid):
                    await send(message)
            else:
                await self.app(scope, receive, send_with_id)
        except ClientDisconnect:  # gone before its body arrived: nobody to answer
            answer["status"] = 499  # nginx's "client closed request"
        except Exception as exc:
            log.exception("unhandled error")
            answer["status"] = 500
            if not answer["started"]:
                for message in _json_answer(500, f"internal error: {type(exc).__name__}", rid):
                    await send(message)
        if log.isEnabledFor(logging.INFO):
            elapsed = round((time.perf_counter() - started) * 1000, 2)
            line = {"request_id": rid, "method": scope["method"], "path": scope["path"]}
            log.info(json.dumps({**line, "status": answer["status"], "ms": elapsed}))
