from httpkit.headers import HeaderMap, parse_headers
from httpkit.cookies import parse_cookie

__all__ = ["HeaderMap", "parse_headers", "parse_cookie"]
