"""Every request gets an answer: the protocol side of the server's robustness.

pygls drops a request whose params do not deserialise (the error goes to a
``window/showMessage`` popup and the client waits forever), answers handler
faults with a traceback, and raises popups for notification faults. Here, at one
place for every handler:

* a body is decoded leniently (bad UTF-8 and lone surrogates become U+FFFD, which
  keeps UTF-16 positions), then structured; params that do not fit the method's
  type answer InvalidParams naming the field;
* a handler's exception answers an error: its own JSON-RPC error (InvalidParams,
  RequestFailed, ContentModified) as raised, a file that cannot be read
  RequestFailed, anything else InternalError with a one-line message; all are
  logged, none is a popup;
* requests before ``initialize`` answer ServerNotInitialized, after ``shutdown``
  InvalidRequest; an answer that cannot be encoded becomes an InternalError answer.

This is the one module that relies on pygls' private parts, because pygls 2.x has no public hook for them:
``_send_handler_result``, ``_send_response`` and ``_send_data`` (where every answer goes out, so none is lost),
``_handle_cancel_notification`` (a cancel must reach a command handler running as a task of its own),
the ``_workspace`` attribute with its ``_text_documents`` and ``_folders`` (made thread-safe for worker
threads), and the attributes ``_request_futures``, ``_result_types``, ``_converter``, ``_shutdown``,
``_include_headers`` and ``_server``. tests/unit/server/test_pygls_seams.py fails if a pygls upgrade renames,
re-signs or stops calling any of them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from typing import Any

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.workspace import Workspace

from specpilot.core.errors import SpecPilotError
from specpilot.core.events import emit
from specpilot.server.framing import Oversized
from specpilot.server.shared_maps import LockedDict

log = logging.getLogger("specpilot.server.guard")

SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
UNREADABLE = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: a valid request that cannot be done, e.g. a refused rename.
    The message is for the user; it is answered without a traceback in the logs."""

    CODE = -32803
    MESSAGE = "Request failed"


class ContentModified(RequestFailed):
    """LSP's ContentModified: the document changed since the request's data was computed."""

    CODE = -32801
    MESSAGE = "Content modified"


class ServerNotInitialized(JsonRpcException):
    CODE = -32002
    MESSAGE = "Server not initialized"


class NotJson(ValueError):
    """A frame's body is not a JSON value."""


class BadShape(ValueError):
    """A message that does not fit its method's type; the text says where."""


def scrub(value: Any) -> Any:
    """``value`` with lone surrogates (valid JSON escapes, not valid text) replaced by U+FFFD."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    return value


def describe(exc: BaseException) -> str:
    """A deserialisation failure as short text: ``expected int @ $.params.position.line``."""
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        lines = cattrs.transform_error(exc, path="$")
        return "; ".join(lines[:3]) + (f" (and {len(lines) - 3} more)" if len(lines) > 3 else "")
    return f"{type(exc).__name__}: {exc}"


def as_rpc_error(exc: BaseException, method: str, msg_id: Any) -> JsonRpcException:
    """The error answer for a handler's exception (and its log line)."""
    if isinstance(exc, JsonRpcException):
        log.info("%s (request %s) answered %d: %s", method, msg_id, exc.code, exc.message)
        return exc
    if isinstance(exc, SpecPilotError):  # the engines' refusals: their message is for the user
        log.info("%s (request %s) refused: %s", method, msg_id, exc)
        return RequestFailed(str(exc))
    if isinstance(exc, UNREADABLE):
        name = exc.filename or "the file"
        log.info("%s (request %s): cannot read %s: %s", method, msg_id, name, exc.strerror or exc)
        return RequestFailed(f"cannot read {name}: {exc.strerror or exc}")
    log.error("%s (request %s) failed", method, msg_id, exc_info=exc)
    return JsonRpcInternalError(f"{method} failed: {type(exc).__name__}: {exc} (the server log has the details)")


class GuardedProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` that answers every request (see the module docstring).
    Messages arrive through ``receive(body)`` and ``refuse_oversized(frame)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._methods: dict[Any, str] = {}
        self._started: dict[Any, float] = {}
        self._initialize_seen = False

    # -- receiving ----------------------------------------------------------------------------------
    def receive(self, body: bytes) -> None:
        """Handle one frame's body; raises NotJson if it is not JSON at all."""
        text = body.decode("utf-8", errors="replace")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise NotJson(str(exc)) from None
        if SURROGATE_ESCAPE.search(text):
            data = scrub(data)
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            self._refuse_request(data, JsonRpcInvalidRequest("not a JSON-RPC 2.0 message"))
            return
        method, has_id = data.get("method"), "id" in data
        msg_id = data.get("id")
        if has_id and (isinstance(msg_id, bool) or not isinstance(msg_id, (int, str))):
            log.warning("a message with an invalid id %r was ignored", msg_id)
            if method is not None:
                self._send_response(None, error=JsonRpcInvalidRequest(  # type: ignore[arg-type]
                    f"the id must be a number or a string, got {msg_id!r}").to_response_error())
            return
        if method is not None and not isinstance(method, str):
            self._refuse_request(data, JsonRpcInvalidRequest(f"the method must be a string, got {method!r}"))
            return
        try:
            message = self.structure_message(data)
        except BadShape as exc:
            self._bad_shape(data, str(exc))
            return
        if method is not None and has_id and not hasattr(message, "id"):
            self._send_response(msg_id, error=JsonRpcInvalidRequest(
                f"{method} is a notification: send it without an id").to_response_error())
            return
        self.handle_message(message)

    def refuse_oversized(self, frame: Oversized) -> None:
        if frame.msg_id is not None:
            self._send_response(frame.msg_id, error=JsonRpcInvalidRequest(
                f"the message has {frame.length} bytes, over the server's limit of {frame.limit} "
                "(setting server.maxMessageBytes); it was not read").to_response_error())

    def _refuse_request(self, data: Any, error: JsonRpcException) -> None:
        if isinstance(data, dict) and "method" in data and isinstance(data.get("id"), (int, str)):
            self._send_response(data["id"], error=error.to_response_error())
        log.warning("ignored a message: %s: %.200r", error.message, data)

    def _bad_shape(self, data: dict[str, Any], detail: str) -> None:
        method, msg_id = data.get("method"), data.get("id")
        if method is not None and "id" in data:
            log.info("%s (request %s): invalid params: %s", method, msg_id, detail)
            self._send_response(msg_id, error=JsonRpcInvalidParams(
                f"invalid params for {method}: {detail}").to_response_error())
        elif method is not None:
            log.warning("ignored a %s notification with invalid params: %s", method, detail)
        else:  # the client's answer to our request does not fit: fail that request
            future = self._request_futures.pop(msg_id, None) if isinstance(msg_id, (int, str)) else None
            log.warning("the client's answer to request %s does not fit its type: %s", msg_id, detail)
            if future is not None and not future.done():
                future.set_exception(JsonRpcInvalidParams(f"the client's answer did not fit: {detail}"))

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls' structuring, quiet and with a message that names the bad field."""
        if "jsonrpc" not in data:
            return data
        try:
            if "id" in data and "error" in data:
                return self._converter.structure(data, types.ResponseErrorMessage)
            if "id" in data and "method" in data:
                request_type = self.get_message_type(data["method"])
                if request_type is None:
                    request_type = JsonRPCRequestMessage
                    data = {"params": None, **data}
                return self._converter.structure(data, request_type)
            if "id" in data:
                response_type = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
                return self._converter.structure({"result": None, **data}, response_type)
            notification_type = self.get_message_type(data.get("method", ""))
            if notification_type is None:
                notification_type = JsonRPCNotification
                data = {"params": None, **data}
            return self._converter.structure(data, notification_type)
        except Exception as exc:
            raise BadShape(describe(exc)) from exc

    def handle_message(self, message: Any) -> None:
        method: str | None = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if is_request:
            if self._shutdown and method != types.EXIT:
                self._send_response(message.id, error=JsonRpcInvalidRequest(
                    f"{method}: the server is shutting down").to_response_error())
                return
            if method == types.INITIALIZE:
                if self._initialize_seen:
                    self._send_response(message.id, error=JsonRpcInvalidRequest(
                        "initialize was already received").to_response_error())
                    return
                self._initialize_seen = True
            elif not self._initialize_seen:
                self._send_response(message.id, error=ServerNotInitialized(
                    f"{method}: send initialize first").to_response_error())
                return
            command = getattr(getattr(message, "params", None), "command", None)
            self._methods[message.id] = f"{method}:{command}" if isinstance(command, str) else (method or "request")
            self._started[message.id] = time.perf_counter()
        elif method is not None and not self._initialize_seen and method != types.EXIT:
            log.warning("ignored %s before initialize", method)
            return
        super().handle_message(message)

    # -- answering ----------------------------------------------------------------------------------
    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        method = self._methods.get(msg_id, "request")
        if future.cancelled():
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        exc = future.exception()
        if exc is None:
            self._send_response(msg_id, result=future.result())
            return
        self._send_response(msg_id, error=as_rpc_error(exc, method, msg_id).to_response_error())

    def _send_response(self, msg_id: Any, result: Any | None = None,
                       error: types.ResponseError | None = None) -> None:
        method = self._methods.pop(msg_id, None)
        started = self._started.pop(msg_id, None)
        super()._send_response(msg_id, result=result, error=error)
        if method is not None and started is not None:
            self._answered(method, 1000 * (time.perf_counter() - started), error)

    def _answered(self, method: str, ms: float, error: types.ResponseError | None) -> None:
        """Count an answered request (core/events.py) and, when the client asked for it with ``$/setTrace``,
        say so in ``$/logTrace`` (``verbose``: with the error)."""
        emit("request", method=method, ms=round(ms, 2), ok=error is None)
        if self.trace in (None, types.TraceValue.Off) or method.startswith("$/"):
            return
        verbose = None
        if self.trace == types.TraceValue.Verbose:
            verbose = f"error {error.code}: {error.message}" if error is not None else "answered"
        self.notify(types.LOG_TRACE, types.LogTraceParams(
            message=f"{method} {'failed' if error else 'answered'} in {ms:.1f} ms", verbose=verbose))

    def _send_data(self, data: Any) -> None:
        """pygls' writer, except that an answer that cannot be encoded becomes an error answer."""
        if not data:
            return
        if self.writer is None:
            log.error("no transport to send on")
            return
        try:
            body = json.dumps(data, default=self._serialize_message)
        except Exception as exc:
            msg_id = getattr(data, "id", None)
            log.error("could not encode a message (id %s)", msg_id, exc_info=exc)
            if msg_id is None or not hasattr(data, "result"):
                return
            error = JsonRpcInternalError(f"the answer could not be encoded: {type(exc).__name__}: {exc}")
            body = json.dumps(types.ResponseErrorMessage(id=msg_id, error=error.to_response_error()),
                              default=self._serialize_message)
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        payload = (header + body if self._include_headers else body).encode(self.CHARSET)
        written = self.writer.write(payload)
        if inspect.isawaitable(written):
            asyncio.ensure_future(written)


class SpecPilotProtocol(GuardedProtocol):
    """pygls answers ``$/cancelRequest`` by cancelling the request's future, but a
    command handler runs as a task of its own that the cancel never reaches; long
    handlers register a callback for their request id (``SpecPilotServer.on_cancel``).
    The workspace's open documents and folders are ``LockedDict``s: worker threads
    iterate them while the loop changes them."""

    @property
    def _workspace(self) -> Workspace | None:
        return self._guarded_workspace

    @_workspace.setter
    def _workspace(self, workspace: Workspace | None) -> None:
        if workspace is not None:
            workspace._text_documents = LockedDict(workspace._text_documents)
            workspace._folders = LockedDict(workspace._folders)
        self._guarded_workspace = workspace

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        callback = getattr(self._server, "cancel_callbacks", {}).pop(msg_id, None)
        if callback is not None:
            callback()
