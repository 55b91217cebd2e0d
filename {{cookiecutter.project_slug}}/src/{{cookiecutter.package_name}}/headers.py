"""HTTP headers that every answer of the App carries, whatever the framework."""

# No inline script or style anywhere: pages load only the App's own stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC_PREFIX = "/static/"


def security_headers(path: str) -> dict[str, str]:
    """The headers for the answer to `path`: pages are never framed, sniffed or stored."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # The callback URL carries the code and state: it must never leave as a Referer.
        "Referrer-Policy": "no-referrer",
    }
    if not path.startswith(STATIC_PREFIX):
        # Pages show a PIM's connection or a user: no browser or proxy keeps a copy.
        headers["Cache-Control"] = "no-store"
    return headers
