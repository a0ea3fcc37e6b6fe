"""Cookie header parsing."""

from httpkit.headers import HeaderMap


def parse_cookie(header: str) -> dict[str, str]:
    """Turn a Cookie header into a dict of cookie names to values."""
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar[name] = value.strip('"')
    return jar


def cookies_from(headers: HeaderMap) -> dict[str, str]:
    merged: dict[str, str] = {}
    for value in headers.get_all("Cookie"):
        merged.update(parse_cookie(value))
    return merged
