"""Secrets are replaced by placeholders before any text goes to a remote model.

``redact(text)`` finds two sorts of secret:

- tokens whose shape gives them away (``sk-ant-...``, ``ghp_...``, ``AKIA...``,
  JWTs, PEM private keys, the password in ``scheme://user:password@host``, the
  credential in an ``Authorization:`` header), wherever they appear;
- values assigned to names that say "secret" (``password``, ``api_key``,
  ``client_secret``, ``DB_PASSWORD``, ``apiKey``, ...) in Python, JSON, YAML,
  ``.env``, TOML or shell form, when the value looks like a secret: random
  enough (Shannon entropy in bits per character) and long enough, or, for
  passwords, any literal that is not a placeholder such as ``${DB_PASSWORD}``
  (``specpilot.llm.safety.assigned_secrets``).

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
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specpilot.llm.safety import secret_rules
from specpilot.llm.safety.assigned_secrets import (
    MIN_SECRET_ENTROPY,
    SAMPLE_PASSWORDS,
    assigned_secrets,
    entropy,
    is_reference,
    is_secret_value,
    secret_kind,
)
from specpilot.llm.safety.known_secrets import KNOWN
from specpilot.llm.safety.text_views import View, undecorated_views

PLACEHOLDER = "[REDACTED:{kind}]"


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
    return not is_reference(value) and value.lower() not in SAMPLE_PASSWORDS  # user:pass@host is a sample


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
    for start, end, kind in assigned_secrets(text):
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
                kind = secret_kind(str(key))
                if kind is not None and is_secret_value(kind, item, literal=True):
                    found.append(Finding(kind, 1))
                    cleaned[key] = PLACEHOLDER.format(kind=kind)
        return cleaned
    return value
