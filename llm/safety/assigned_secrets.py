"""Values assigned to names that say "secret", for the detector (redaction.py).

A name says what it holds (``secret_kind``): ``password``, ``api_key``, ``client_secret``, ``DB_PASSWORD``,
``apiKey``, ... but not ``token_url`` or ``password_min_length``, which are about a secret. The value after it,
in Python, JSON, YAML, ``.env``, TOML or shell form, is a secret (``is_secret_value``) when it looks like one:
random enough (``entropy``, in bits per character) and long enough, or, for passwords, any literal that is not
a placeholder such as ``${DB_PASSWORD}`` (``is_reference``). A bare word in code is a variable, a call or a
type, not a value. ``assigned_secrets`` gives the spans of such values in a text.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections import Counter
from collections.abc import Iterator

PLACEHOLDER_START = "[REDACTED:"  # how redaction.PLACEHOLDER begins: a value already redacted is a reference

_NAME_AND_OPERATOR = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]{0,80}+)[\"']?\]?[ \t]*"
    r"(?P<annotation>:[ \t]*[A-Za-z_][A-Za-z0-9_.\[\], |]{0,40}?[ \t]*(?==(?!=)))?"  # token: str = "..."
    r"(?P<op>:=|=>|=(?!=)|:(?![:/]))[ \t]*")
_VALUE = re.compile(  # read only after a secret name; bounded, as the scan goes on after each operator
    r"(?P<esc>\\?)(?P<quote>[\"'`])(?P<quoted>[^\"'`\\\n]{0,1000})(?P=esc)(?P=quote)"
    r"|(?P<bare>[^\s\"'`,;&(){}\[\]\\]{1,256}+)")
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "pwd"})
_PASSWORD_LAST_WORDS = frozenset({"pass", "pw"})  # DB_PASS, smtp_pw; but pass_rate, pass_threshold are not
_SECRET_WORDS = frozenset({"secret", "secrets", "token", "apikey", "credential", "credentials", "auth", "bearer"})
_SECRET_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("auth", "key"), ("signing", "key"),
    ("encryption", "key"), ("master", "key"), ("session", "key"), ("account", "key"), ("client", "secret"),
    ("app", "key"), ("license", "key"), ("webhook", "secret"), ("shared", "key"),
})
# A name ending in one of these is about a secret, not one: token_url, secretName, password_min_length.
_DESCRIPTORS = frozenset({
    "name", "names", "file", "filename", "path", "dir", "url", "uri", "endpoint", "host", "type", "types", "kind",
    "id", "len", "length", "size", "count", "field", "env", "var", "ref", "header", "prefix", "suffix", "ttl",
    "expiry", "expires", "expiration", "timeout", "algorithm", "algo", "policy", "label", "format", "mode",
    "scope", "scopes", "version", "regex", "re", "pattern", "limit", "budget", "enabled", "required", "min",
    "max", "hint", "placeholder", "help", "description", "message", "msg", "error", "prompt", "method",
    "provider", "source", "store", "manager", "class", "backend", "module", "handler", "callback", "func",
    "function", "hook", "middleware", "plugin", "strategy", "service", "index", "position", "ids", "details",
    "info", "usage", "params", "options", "counts", "stats", "config", "configs", "settings", "cls",
})
# A bare password that reads as a type (``password: SecretStr`` in a class body) is code, not YAML.
# (HTTPPasswordMgr, OAuth2Grant, _PasswordType; a digit only inside, so Summer2024 is a password).
_TYPE_NAME = re.compile(r"_*(?:[A-Z]{1,6}[a-z]+(?:\d+(?=[A-Z]))?)+[A-Z]?|str|bytes|int|float|bool|Any|None|object")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_LINE_PREFIX = re.compile(r"[ \t]*(?:export[ \t]+|-[ \t]+)?")  # .env, shell, YAML (also in a list)
_DOTTED_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+")
_WORD = (r"_*(?:[A-Za-z][a-z]+\d*(?:[A-Z][a-z]+\d*)*"  # camelCase, CamelCase
         r"|[a-z]+\d*(?:[_\-](?:[a-z]+\d*|\d+))*|[A-Z]+\d*(?:_(?:[A-Z]+\d*|\d+))*"  # snake_case, UPPER_CASE
         r"|[A-Z][a-z]*(?:-[A-Z][a-z]*)+)")  # Header-Names
_WORDISH = re.compile(_WORD)  # snake_case, camelCase, UPPER_CASE words: code, not keys
# Words that stand in for a password in samples and schemas; any other literal under a password name is one.
SAMPLE_PASSWORDS = frozenset({
    "password", "passwd", "changeme", "example", "secret", "sample", "testing", "string", "required", "optional",
    "redacted", "hidden", "masked", "placeholder", "undefined", "none", "null", "pass", "pwd", "pw", "test", "foo",
    "bar", "baz", "user", "admin", "root",
})

MIN_SECRET_CHARS = 16  # a value under a secret name shorter than this is a word, a flag, a size
MIN_SECRET_ENTROPY = 3.0  # bits per character: hex keys ~3.7-4, base64 ~4.5+, English words ~2.5-3
MIN_PASSWORD_CHARS = 6


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    counts = Counter(value).values()
    weighted = sum(map(_C_LOG2C.__getitem__, counts)) if n < len(_C_LOG2C) else sum(c * math.log2(c) for c in counts)
    return math.log2(n) - weighted / n


_C_LOG2C = [0.0] + [c * math.log2(c) for c in range(1, 513)]  # entropy() runs once per candidate value
_LOWER, _UPPER, _DIGITS = (frozenset(string.ascii_lowercase), frozenset(string.ascii_uppercase),
                           frozenset(string.digits))


@functools.lru_cache(maxsize=4096)  # code repeats its names
def secret_kind(name: str) -> str | None:
    """``password``, ``aws_secret_key`` or ``secret`` when ``name`` says it holds one, else None."""
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if words[-3:] == ["private", "key", "id"]:  # a service account's key id (GCP JSON) names the key
        return "private_key_id"
    if not words or words[-1] in _DESCRIPTORS:
        return None
    if _PASSWORD_WORDS.intersection(words) or words[-1] in _PASSWORD_LAST_WORDS:
        return "password"
    if not (_SECRET_WORDS.intersection(words) or _SECRET_PAIRS.intersection(zip(words, words[1:]))):
        return None
    return "aws_secret_key" if "aws" in words and "secret" in words else "secret"


def is_reference(value: str) -> bool:
    """A placeholder, not a value: ${VAR}, $VAR, %(var)s, {{ var }}, <password>, ****, xxxx."""
    return (value.startswith(("$", "%", "{", "<", "!", PLACEHOLDER_START)) or "${" in value or "{{" in value
            or len(set(value[:64].lower())) <= 2)


def _looks_random(value: str) -> bool:
    """Long, high-entropy, letters mixed with digits or cases, and not a word, path, URL or dotted name."""
    if len(value) < MIN_SECRET_CHARS or entropy(value) < MIN_SECRET_ENTROPY:
        return False
    if value.startswith(("/", "./", "../", "~/")) or "://" in value or " " in value or _DOTTED_NAME.fullmatch(value):
        return False
    chars = set(value)
    classes = (not _LOWER.isdisjoint(chars)) + (not _UPPER.isdisjoint(chars)) + (not _DIGITS.isdisjoint(chars))
    return classes >= 2 and not _WORDISH.fullmatch(value)


def _looks_like_password(value: str) -> bool:
    """Any literal of a few characters will do, except a path ($PWD), a dotted name or a sample word."""
    return (len(value) >= MIN_PASSWORD_CHARS and " " not in value and value.lower() not in SAMPLE_PASSWORDS
            and not value.startswith(("/", "./", "../", "~/")) and not _DOTTED_NAME.fullmatch(value))


def is_secret_value(kind: str, value: str, *, literal: bool) -> bool:
    """Whether ``value``, under a name of ``kind``, is a secret. ``literal``: the value is
    text (quoted, or in a file format where bare words are text), not a variable in code."""
    if kind == "password" and literal:
        ok = _looks_like_password(value)
    else:  # a bare word in code is a variable, unless it could only be a key
        # A bare a=b=c is more assignments, not a key; a quoted literal may hold '=' (Django's SECRET_KEY).
        ok = (literal or "=" not in value.rstrip("=")) and _looks_random(value)
    return ok and not is_reference(value)


def assigned_secrets(text: str) -> Iterator[tuple[int, int, str]]:
    position = 0
    while (match := _NAME_AND_OPERATOR.search(text, position)) is not None:
        # Go on right after the name, not after the value: what follows may hold more names
        # (a connection string's AccountKey=..., a JSON document in a string, x: Y = ...).
        position = match.end("name")
        kind = secret_kind(match["name"])
        if kind is None or _in_url_authority(text, match.start()):
            continue
        value = _VALUE.match(text, match.end())
        if value is None:
            continue
        if value["quoted"] is not None:
            if is_secret_value(kind, value["quoted"], literal=True):
                yield value.start("quoted"), value.end("quoted"), kind
        elif _is_secret_bare(text, match, value["bare"], value.end("bare"), kind):
            yield value.start("bare"), value.end("bare"), kind


def _is_secret_bare(text: str, match: re.Match[str], bare: str, end: int, kind: str) -> bool:
    """An unquoted value is text in .env, YAML, INI, a --flag=value or a connection string,
    but code in a program: there it is a name, a call or a type unless it could only be a key."""
    after = text[end:end + 1]
    if after in ("[", "(") or _TYPE_NAME.fullmatch(bare) or (after in (",", ")") and _IDENTIFIER.fullmatch(bare)):
        return False  # Optional[str], make_token(...), SecretStr, f(password=pw, ...)
    context = "code" if match["annotation"] else _bare_context(text, match)
    if kind == "password" and context == "spaced":  # name = value on a line: Python, or an INI file
        return (is_secret_value(kind, bare, literal=True) and not _WORDISH.fullmatch(bare)
                and not _NUMBER.fullmatch(bare))
    return is_secret_value(kind, bare, literal=context == "literal")


def _bare_context(text: str, match: re.Match[str]) -> str:
    """``literal`` (YAML ``key: value``, .env ``KEY=value``, --flag=value, a field of a ;-separated
    connection string or a URL query), ``spaced`` (``name = value`` on its own line) or ``code``."""
    start, op = match.start(), match["op"]
    if text.endswith(("--", ";", "?", "&"), max(0, start - 2), start):
        return "literal"
    window = max(0, start - 200)  # a line's indentation is shorter than this; a bounded look keeps it linear
    line_start = text.rfind("\n", window, start) + 1 or window
    if op not in ("=", ":") or _LINE_PREFIX.fullmatch(text, line_start, start) is None:
        return "code"
    if op == ":" and text[match.start("op") - 1] in " \t":
        return "code"  # "password : str" documents a parameter; a YAML key has no space before its colon
    if op == "=" and (text[match.start("op") - 1] in " \t" or match.end() > match.end("op")):
        return "spaced"
    return "literal"


def _in_url_authority(text: str, start: int) -> bool:
    """Whether ``start`` is in the user:password part of a URL (the URL pattern's business)."""
    scheme_end = text.rfind("://", max(0, start - 200), start)
    return scheme_end >= 0 and _URL_AUTHORITY.fullmatch(text, scheme_end + 3, start) is not None


_URL_AUTHORITY = re.compile(r"[^\s/@'\"<>]*")
