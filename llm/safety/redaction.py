"""Secrets are replaced by placeholders before any text goes to a remote model.

``redact(text)`` finds two sorts of secret:

- tokens whose shape gives them away (``sk-ant-...``, ``ghp_...``, ``AKIA...``,
  JWTs, PEM private keys, the password in ``scheme://user:password@host``, the
  credential in an ``Authorization:`` header), wherever they appear;
- values assigned to names that say "secret" (``password``, ``api_key``,
  ``client_secret``, ``DB_PASSWORD``, ``apiKey``, ...) in Python, JSON, YAML,
  ``.env``, TOML or shell form, when the value looks like a secret: random
  enough (Shannon entropy in bits per character) and long enough, or, for
  passwords, any literal that is not a placeholder such as ``${DB_PASSWORD}``.

plus the vendor token rules of ``detect-secrets`` (``specpilot.llm.safety.secret_rules``).
Text whose lines carry a line-number gutter, diff markers or quote marks is also
searched without them (``specpilot.llm.safety.text_views``), so tool output formatting
cannot hide a key.

Ordinary code stays as it is: a git SHA, a UUID or a base64 image is only a
candidate when its name says "secret", and identifiers (``get_api_key()``,
``settings.token``) are never values. Each secret becomes ``[REDACTED:<kind>]``;
the result says what was replaced, by kind and line, never the value. Redacting
redacted text changes nothing.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from specpilot.llm.safety import secret_rules
from specpilot.llm.safety.known_secrets import KNOWN
from specpilot.llm.safety.text_views import View, undecorated_views

PLACEHOLDER = "[REDACTED:{kind}]"
_PLACEHOLDER_START = "[REDACTED:"


@dataclass(frozen=True, slots=True)
class Finding:
    """One replaced secret: its kind and the 1-based line it started on (the value is not kept)."""

    kind: str
    line: int


@dataclass(frozen=True, slots=True)
class Redaction:
    """The redacted text and what was replaced in it."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """How many secrets of each kind were replaced."""
        return dict(Counter(f.kind for f in self.findings))

    def summary(self) -> str:
        """A line for the user, e.g. ``2 secrets redacted (aws_access_key: 1, password: 1)``."""
        if not self.findings:
            return "no secrets found"
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.counts.items()))
        return f"{len(self.findings)} secret{'s' if len(self.findings) != 1 else ''} redacted ({kinds})"


# -- tokens recognised by their shape -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int | str = 0  # the part replaced; the rest (user, host, header name) is kept
    accept: Callable[[str], bool] | None = None


def _token(prefix: str, width: int, rest: str) -> re.Pattern[str]:
    """``prefix`` (``width`` characters) then ``rest``, starting at a word boundary. The boundary is
    checked after the prefix so that the regex begins with a literal, which ``re`` finds fast."""
    return re.compile(f"(?:{prefix})(?<![A-Za-z0-9_\\-][\\s\\S]{{{width}}}){rest}")


def _mixed(value: str) -> bool:
    """Letters and digits both: real tokens have them, long kebab-case identifiers do not."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _has_key_body(block: str) -> bool:
    return _BASE64_LINE.search(block) is not None


def _is_url_password(value: str) -> bool:
    return not _is_reference(value) and value.lower() not in _SAMPLE_PASSWORDS  # user:pass@host is a sample


_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]{40}")
_PATTERNS: tuple[_Pattern, ...] = (
    # A PEM block up to its END line, or as far as its base64 lines go if the text was cut short
    # (never into the words after it). It must have a body: a parser's "-----BEGIN PRIVATE
    # KEY-----" constant is not a key. \n escapes (a key in a JSON string) count as line ends.
    _Pattern("private_key", re.compile(
        r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----"
        r"(?:(?:[A-Za-z0-9+/=\s:,.\\]|-(?!----))*+-----END \1PRIVATE KEY\2-----"
        r"|(?:[ \t]*(?:\r?\n|\\r\\n|\\n)|[ \t]*+[A-Za-z0-9+/=]++(?=[ \t]*(?:\r?\n|\\n|\\r|\Z|[\"'`]))"
        r"|(?:Proc-Type|DEK-Info|Comment|Version):[^\n\\]*+)*+)"), accept=_has_key_body),
    _Pattern("anthropic_api_key", _token("sk-ant-", 7, r"[A-Za-z0-9_\-]{20,}"), accept=_mixed),
    _Pattern("openai_api_key", _token("sk-", 3, r"(?!ant-)[A-Za-z0-9_\-]{20,}"), accept=_mixed),
    _Pattern("github_token", _token("gh[pousr]_", 4, r"[A-Za-z0-9]{30,}")),
    _Pattern("github_token", _token("github_pat_", 11, r"[A-Za-z0-9_]{40,}")),
    _Pattern("gitlab_token", _token("gl(?:pat|ptt|cbt)-", 6, r"[A-Za-z0-9_\-]{20,}")),
    _Pattern("gitlab_token", _token("gl(?:dt|rt)-", 5, r"[A-Za-z0-9_\-]{20,}")),
    _Pattern("slack_token", _token("xox[abeoprs]-", 5, r"[A-Za-z0-9\-]{10,}"), accept=_mixed),
    _Pattern("slack_webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/\-]{20,}")),
    _Pattern("aws_access_key", re.compile(
        r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|ROA|IPA|NPA|NVA|PKA)(?<![A-Za-z0-9/+][\s\S]{4})[A-Z0-9]{16}(?![A-Za-z0-9])")),
    _Pattern("google_api_key", _token("AIza", 4, r"[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])")),
    _Pattern("google_oauth_secret", _token("GOCSPX-", 7, r"[A-Za-z0-9_\-]{24,}")),
    _Pattern("google_oauth_token", _token("ya29\\.", 5, r"[0-9A-Za-z_\-]{30,}")),
    _Pattern("stripe_key", _token("[sr]k_(?:live|test)_", 8, r"[0-9A-Za-z]{16,}")),
    _Pattern("stripe_key", _token("whsec_", 6, r"[A-Za-z0-9]{24,}")),
    _Pattern("huggingface_token", _token("hf_", 3, r"[A-Za-z0-9]{30,}(?![A-Za-z0-9_\-])"), accept=_mixed),
    _Pattern("npm_token", _token("npm_", 4, r"[A-Za-z0-9]{36}(?![A-Za-z0-9_\-])")),
    _Pattern("pypi_token", _token("pypi-AgE", 8, r"[A-Za-z0-9_\-]{50,}")),
    _Pattern("sendgrid_key", _token("SG\\.", 3, r"[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")),
    _Pattern("jwt", _token("eyJ", 3, r"[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")),
    _Pattern("url_password", re.compile(  # only the password goes: user and host stay readable
        r"://(?P<user>[^\s:/?#@'\"<>\[\]]*+):(?!\[REDACTED:)(?P<pw>[^\s@/'\"<>]++)@[A-Za-z0-9\[]"),
        group="pw", accept=_is_url_password),
    _Pattern("authorization", re.compile(  # also in f-strings and other prefixed literals: f"Bearer ..."
        r"(?i:authorization)[\"']?\]?\s*[:=]\s*(?:[rRbBuUfF]{0,2}[\"'])?\s*(?i:bearer|token|basic|digest)\s+"
        r"(?P<cred>[A-Za-z0-9._~+/\-]{8,}=*)"), group="cred"),
    _Pattern("bearer_token", re.compile(  # "Bearer <token>" anywhere, when the token is a long random one
        r"(?<![A-Za-z0-9_])[Bb]earer\s+(?P<cred>[A-Za-z0-9._~+/\-]{20,}=*)"), group="cred",
        accept=lambda value: _mixed(value) and entropy(value) >= MIN_SECRET_ENTROPY),
    _Pattern("mailgun_key", _token("key-", 4, r"[0-9A-Za-z]{32}(?![A-Za-z0-9_\-])"), accept=_mixed),
    _Pattern("azure_sas_signature", re.compile(  # a shared access signature's sig= in a URL or connection string
        r"(?<![A-Za-z0-9_])(?i:sig)=(?P<sig>(?:[A-Za-z0-9+/]|%2[BbFf]|%3[Dd]){20,}(?:=|%3[Dd]){0,2})"),
        group="sig", accept=_mixed),
)

# -- values assigned to names that say "secret" -------------------------------------------------
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
_SAMPLE_PASSWORDS = frozenset({
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
def _secret_kind(name: str) -> str | None:
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


def _is_reference(value: str) -> bool:
    """A placeholder, not a value: ${VAR}, $VAR, %(var)s, {{ var }}, <password>, ****, xxxx."""
    return (value.startswith(("$", "%", "{", "<", "!", _PLACEHOLDER_START)) or "${" in value or "{{" in value
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
    return (len(value) >= MIN_PASSWORD_CHARS and " " not in value and value.lower() not in _SAMPLE_PASSWORDS
            and not value.startswith(("/", "./", "../", "~/")) and not _DOTTED_NAME.fullmatch(value))


def _is_secret_value(kind: str, value: str, *, literal: bool) -> bool:
    """Whether ``value``, under a name of ``kind``, is a secret. ``literal``: the value is
    text (quoted, or in a file format where bare words are text), not a variable in code."""
    if kind == "password" and literal:
        ok = _looks_like_password(value)
    else:  # a bare word in code is a variable, unless it could only be a key
        # A bare a=b=c is more assignments, not a key; a quoted literal may hold '=' (Django's SECRET_KEY).
        ok = (literal or "=" not in value.rstrip("=")) and _looks_random(value)
    return ok and not _is_reference(value)


def _assigned_secrets(text: str) -> Iterator[tuple[int, int, str]]:
    position = 0
    while (match := _NAME_AND_OPERATOR.search(text, position)) is not None:
        # Go on right after the name, not after the value: what follows may hold more names
        # (a connection string's AccountKey=..., a JSON document in a string, x: Y = ...).
        position = match.end("name")
        kind = _secret_kind(match["name"])
        if kind is None or _in_url_authority(text, match.start()):
            continue
        value = _VALUE.match(text, match.end())
        if value is None:
            continue
        if value["quoted"] is not None:
            if _is_secret_value(kind, value["quoted"], literal=True):
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
        return (_is_secret_value(kind, bare, literal=True) and not _WORDISH.fullmatch(bare)
                and not _NUMBER.fullmatch(bare))
    return _is_secret_value(kind, bare, literal=context == "literal")


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


def redact(text: str) -> Redaction:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``, and what was replaced.

    The text is searched as it is and, when its lines carry decorations (a ``read_file``
    gutter, diff markers, quote marks), once more without them; a JSON document's strings
    are searched decoded too. A secret found in a view is replaced in the text as given.
    Every secret found is remembered (``specpilot.llm.safety.known_secrets``, in memory only) and
    replaced wherever it, or a long piece of it, turns up again."""
    spans = _find(text)
    for start, end, kind in KNOWN.find(text):  # secrets found before, in whatever shape a tool quotes them
        spans.claim(start, end, kind)
    if not spans.starts:
        return Redaction(text)
    for start, end, kind in zip(spans.starts, spans.ends, spans.kinds):
        KNOWN.learn(text[start:end], kind)
    pieces: list[str] = []
    findings: list[Finding] = []
    position, line = 0, 1
    for start, end, kind in zip(spans.starts, spans.ends, spans.kinds):
        line += text.count("\n", position, start)
        pieces += [text[position:start], PLACEHOLDER.format(kind=kind)]
        findings.append(Finding(kind, line))
        line += text.count("\n", start, end)
        position = end
    pieces.append(text[position:])
    return Redaction("".join(pieces), tuple(findings))


def _find(text: str, *, depth: int = 0) -> _Spans:
    spans = _Spans()
    _claim_all(text, spans, None)
    for view in undecorated_views(text):
        _claim_all(view.text, spans, view)
    if depth < 2 and "\\" in text:
        _claim_escaped_strings(text, spans, depth)
    return spans


# A double-quoted literal with backslash escapes in it (JSON, or code): escapes hide line starts and quotes.
_ESCAPED_STRING = re.compile(r'"(?=[^"\n]*\\)((?:[^"\\\n]|\\.){8,})"')


def _claim_escaped_strings(text: str, spans: _Spans, depth: int) -> None:
    """Search each escaped string literal decoded, and replace each secret found in it wherever
    its encoded form occurs in ``text`` (a JSON tool result, a key in a ``"...\\n..."`` literal)."""
    for literal in _ESCAPED_STRING.finditer(text):
        try:
            value = json.loads(literal.group(0))
        except ValueError:
            continue
        if not isinstance(value, str):
            continue
        found = _find(value, depth=depth + 1)
        for start, end, kind in zip(found.starts, found.ends, found.kinds):
            secret = value[start:end]
            for encoded in {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}:
                position = text.find(encoded, literal.start())
                while 0 <= position < literal.end() and encoded:
                    spans.claim(position, position + len(encoded), kind)
                    position = text.find(encoded, position + len(encoded))


def _claim_all(text: str, spans: _Spans, view: View | None) -> None:
    def claim(start: int, end: int, kind: str, absorb: bool = False) -> None:
        if view is not None:
            start, end = view.span(start, end)
        spans.claim(start, end, kind, absorb=absorb)

    for pattern in _PATTERNS:  # most specific first: a JWT in a Bearer header is reported as a jwt
        for match in pattern.regex.finditer(text):
            value = match.group(pattern.group)
            if pattern.accept is None or pattern.accept(value):
                claim(match.start(pattern.group), match.end(pattern.group), pattern.kind)
    for start, end, kind in _assigned_secrets(text):
        claim(start, end, kind, absorb=True)
    for start, end, kind in secret_rules.find(text):  # detect-secrets' vendor rules: what is left
        claim(start, end, kind)


class _Spans:
    """Non-overlapping spans of text to replace, sorted by start."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.kinds: list[str] = []

    def claim(self, start: int, end: int, kind: str, *, absorb: bool = False) -> None:
        """Take ``[start, end)`` unless it overlaps a span already taken. With ``absorb``, a value
        that contains whole tokens found before replaces them (keeping the first token's kind), so
        no piece of the value is left behind."""
        if end <= start:
            return
        first = bisect.bisect_right(self.ends, start)  # the first span that ends after ``start``
        last = bisect.bisect_left(self.starts, end, lo=first)  # spans before ``last`` start before ``end``
        if first < last:
            if not absorb or self.starts[first] < start or self.ends[last - 1] > end:
                return
            kind = self.kinds[first]
            del self.starts[first:last], self.ends[first:last], self.kinds[first:last]
        self.starts.insert(first, start)
        self.ends.insert(first, end)
        self.kinds.insert(first, kind)


def redact_json(value: Any, found: list[Finding], *, json_text: bool = False) -> Any:
    """A JSON-like value (dicts, lists, tuples, strings) with every string redacted, and a string
    under a secret-named key (``{"api_key": "..."}``) replaced when it looks like a secret. Findings
    go to ``found``. Strings are redacted decoded, before any escaping, so JSON escaping hides
    nothing. With ``json_text``, a string that is itself a JSON object or array (a tool call's
    arguments) is decoded, redacted the same way and encoded again."""
    if isinstance(value, str):
        if json_text and value.lstrip()[:1] in ("{", "["):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict | list):
                before = len(found)
                cleaned_json = redact_json(decoded, found, json_text=True)
                return value if len(found) == before else json.dumps(cleaned_json, ensure_ascii=False)
        result = redact(value)
        found.extend(result.findings)
        return result.text
    if isinstance(value, list | tuple):
        return [redact_json(item, found, json_text=json_text) for item in value]
    if isinstance(value, dict):
        cleaned = {key: redact_json(item, found, json_text=json_text) for key, item in value.items()}
        for key, item in value.items():  # {"api_key": "..."}: the name is the key, the secret its value
            if isinstance(item, str) and item == cleaned[key]:
                kind = _secret_kind(str(key))
                if kind is not None and _is_secret_value(kind, item, literal=True):
                    found.append(Finding(kind, 1))
                    cleaned[key] = PLACEHOLDER.format(kind=kind)
        return cleaned
    return value
