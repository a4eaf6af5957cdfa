"""Security headers on every response: a Content-Security-Policy that lets no inline script
run, so that text someone stored can never become code in another person's browser, even
where an escape was forgotten; and no sniffing, no framing, no address sent elsewhere."""

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Inline styles stay allowed, for reasons outside our templates: wavesurfer.js writes a
#: <style> element into its shadow root, and Lit templates, Annotorious (Svelte) and
#: markdown-it's table alignment set style attributes. CSS cannot run script, and with
#: img-src, font-src and connect-src kept to this server it cannot send the page away.
STYLE_SRC = "'self' 'unsafe-inline'"

#: Swagger UI (the API explorer at /api/docs) loads from this CDN; nothing else does.
DOCS_CDN = "https://cdn.jsdelivr.net"


def content_security_policy(
    media_origins: Iterable[str] = (),
    *,
    script: str = "'self'",
    style: str = STYLE_SRC,
) -> str:
    """The policy; `media_origins` may serve item images, audio and video besides us
    (blob: is the audio waveform's decoded copy, data: the small inline images)."""
    media = " ".join(media_origins)
    directives = {
        "default-src": "'self'",
        "script-src": script,
        "style-src": style,
        "img-src": f"'self' data: blob: {media}",
        "media-src": f"'self' blob: {media}",
        "connect-src": f"'self' {media}",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value.strip()}" for name, value in directives.items())


def docs_policy() -> str:
    """Swagger UI's own page: its bundle and stylesheet from the CDN, its icons as data:."""
    return content_security_policy(script=f"'self' {DOCS_CDN}", style=f"{STYLE_SRC} {DOCS_CDN}")


def security_headers(media_origins: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    """Referrer-Policy same-origin: a self-hosted deployment's addresses (project ids,
    internal host names) are nobody else's business. X-Frame-Options for old browsers."""
    headers = {
        "content-security-policy": content_security_policy(media_origins),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
    }
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """Adds the headers to each HTTP response that does not set them itself (the API
    explorer sets its own policy). Plain ASGI: no per-request task or body buffering."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", ()))
                present = {name.lower() for name, _value in own}
                added = [h for h in self.headers if h[0] not in present]
                message = {**message, "headers": own + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)
