"""FakeBotApiServer: a FakeBotApi over HTTP on 127.0.0.1, for end-to-end tests.

It runs in a background thread with its own event loop, so the same server serves a bot under
test in the test's own loop (`async with`) or in a subprocess (`with`, then pass `base_url`
through TELEGRAM_BASE_URL). Standard library only: a minimal HTTP/1.1 server (keep-alive,
Content-Length and chunked bodies) that accepts the four encodings the real server accepts.
It listens on the loopback interface only, makes no outgoing connection, and stops by itself
after `lifetime` seconds in case a test forgets to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.botapi import FakeBotApi
from tests.fakes.request import answer_async
from tests.fakes.spec import UploadedFile

HOST = "127.0.0.1"
_PATH_RE = re.compile(r"/bot(?P<token>[^/]*)/(?P<method>[^/]*)")
_DISPOSITION_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)')
MAX_HEADERS = 100


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class _HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    close: bool


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str], limit: int) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > limit:
                raise _HttpError(413)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or "0")
    if length > limit:
        raise _HttpError(413)
    return await reader.readexactly(length) if length else b""


async def _read_request(reader: asyncio.StreamReader, limit: int) -> _HttpRequest | None:
    """The next request on a connection, or None when the client closed it."""
    line = await reader.readline()
    if not line.strip():
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise _HttpError(400)
    method, target, version = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _HttpError(431)
    body = await _read_body(reader, headers, limit)
    close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
    return _HttpRequest(method.upper(), target, headers, body, close)


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Form fields and file parts of a multipart/form-data body."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        raise ValueError("multipart body without boundary")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary.group(1).encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            continue
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = {
            (m[0] or m[2]).lower(): (m[1] or m[3])
            for m in _DISPOSITION_RE.findall(headers.get("content-disposition", ""))
        }
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            mimetype = headers.get("content-type", "application/octet-stream")
            files[name] = UploadedFile(name, disposition["filename"], content, mimetype)
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


def _error(status: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error_code": status, "description": description}


class FakeBotApiServer:
    """The Bot API at http://127.0.0.1:<port>/bot<token>/<method>, answered by a FakeBotApi."""

    def __init__(
        self,
        api: FakeBotApi | None = None,
        *,
        port: int = 0,
        lifetime: float = 600.0,
        max_body: int = 50 * 1024 * 1024,
        idle_timeout: float = 120.0,
    ) -> None:
        self.api = api or FakeBotApi()
        self.port = port
        self.lifetime = lifetime
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        # (HTTP method, API method, status) of every request; the token is left out.
        self.log: list[tuple[str, str, int]] = []
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url / TELEGRAM_BASE_URL (the token is appended)."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{HOST}:{self.port}/file/bot"

    def env(self) -> dict[str, str]:
        """Environment for a bot subprocess that talks to this server and nothing else."""
        no_proxy = f"{HOST},localhost"
        return {
            "TELEGRAM_BOT_TOKEN": self.api.token,
            "TELEGRAM_BASE_URL": self.base_url,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeBotApiServer:
        """Start listening in a background thread; returns once the port is known."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name="fake-bot-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("fake Bot API server did not start")
        if self._startup_error is not None:
            raise RuntimeError("fake Bot API server failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, waiting long polls included."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            # RuntimeError: the loop ended on its own (lifetime reached).
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FakeBotApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeBotApiServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start(), which is waiting for it
            self._startup_error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, HOST, self.port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), self.lifetime)
        except TimeoutError:
            pass  # lifetime reached: stop by ourselves
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    # ----- HTTP ------------------------------------------------------------------------------

    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await asyncio.wait_for(
                        _read_request(reader, self.max_body), self.idle_timeout
                    )
                except _HttpError as error:
                    phrase = HTTPStatus(error.status).phrase
                    await self._write(writer, *_error(error.status, phrase))
                    break
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
                    break
                if request is None:
                    break
                status, body = await self._answer(request)
                await self._write(writer, status, body, close=request.close)
                if request.close:
                    break
        except ConnectionError:
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def _write(
        self, writer: asyncio.StreamWriter, status: int, body: dict[str, Any], close: bool = True
    ) -> None:
        payload = json.dumps(body).encode("utf-8")
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        head = [
            f"HTTP/1.1 {status} {phrase}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            f"Connection: {'close' if close else 'keep-alive'}",
        ]
        retry_after = body.get("parameters", {}).get("retry_after")
        if retry_after is not None:
            head.append(f"Retry-After: {retry_after}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()

    async def _answer(self, request: _HttpRequest) -> tuple[int, dict[str, Any]]:
        url = urlsplit(request.target)
        match = _PATH_RE.fullmatch(url.path)
        if match is None:
            status, body = _error(404, "Not Found")
        elif unquote(match["token"]) != self.api.token:
            status, body = _error(401, "Unauthorized")
        elif request.method not in ("GET", "POST"):
            status, body = _error(405, "Method Not Allowed")
        else:
            status, body = await self._call(unquote(match["method"]), url.query, request)
        self.log.append((request.method, match["method"] if match else url.path, status))
        return status, body

    async def _call(
        self, method: str, query: str, request: _HttpRequest
    ) -> tuple[int, dict[str, Any]]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        files: dict[str, UploadedFile] = {}
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";")[0].strip().lower()
        try:
            if mime == "application/json" and request.body.strip():
                decoded = json.loads(request.body)
                if not isinstance(decoded, dict):
                    return _error(400, "Bad Request: request body must be a JSON object")
                params.update(decoded)
            elif mime == "application/x-www-form-urlencoded":
                form = request.body.decode("utf-8")
                params.update(parse_qsl(form, keep_blank_values=True))
            elif mime == "multipart/form-data":
                fields, files = parse_multipart(request.body, content_type)
                params.update(fields)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Bad Request: can't parse request body")
        if not method:
            return _error(404, "Not Found")
        return await answer_async(self.api, method, params, files)
