"""Token rules from a maintained detector: the regex plugins of Yelp's ``detect-secrets``.

``specpilot.llm.safety.redaction`` finds secrets by shape and by the name they are assigned
to. The shapes of vendor tokens change and multiply, so rather than grow a list
of hand-written regexes, the vendor rules of ``detect-secrets`` (Twilio, Mailchimp,
Discord, Telegram, Square, Artifactory, Azure storage keys, IBM Cloud, SoftLayer,
Cloudant, ...) are read from its plugins and applied here, span by span.

Left out on purpose: its keyword and high-entropy plugins (the name-and-entropy
rules in ``specpilot.llm.safety.redaction`` are tuned to leave ordinary code alone), the
private-key plugin (it flags a line, not the key; ours takes the whole PEM block)
and the public-IP plugin (an address is not a secret).
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger("specpilot.llm.safety.redaction")

# plugin module -> (class, our kind name)
PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("artifactory", "ArtifactoryDetector", "artifactory_token"),
    ("azure_storage_key", "AzureStorageKeyDetector", "azure_storage_key"),
    ("cloudant", "CloudantDetector", "cloudant_credential"),
    ("discord", "DiscordBotTokenDetector", "discord_token"),
    ("github_token", "GitHubTokenDetector", "github_token"),
    ("gitlab_token", "GitLabTokenDetector", "gitlab_token"),
    ("ibm_cloud_iam", "IbmCloudIamDetector", "ibm_cloud_key"),
    ("ibm_cos_hmac", "IbmCosHmacDetector", "ibm_cos_key"),
    ("jwt", "JwtTokenDetector", "jwt"),
    ("mailchimp", "MailchimpDetector", "mailchimp_key"),
    ("npm", "NpmDetector", "npm_token"),
    ("openai", "OpenAIDetector", "openai_api_key"),
    ("pypi_token", "PypiTokenDetector", "pypi_token"),
    ("sendgrid", "SendGridDetector", "sendgrid_key"),
    ("slack", "SlackDetector", "slack_token"),
    ("softlayer", "SoftlayerDetector", "softlayer_key"),
    ("square_oauth", "SquareOAuthDetector", "square_secret"),
    ("stripe", "StripeDetector", "stripe_key"),
    ("telegram_token", "TelegramBotTokenDetector", "telegram_token"),
    ("twilio", "TwilioKeyDetector", "twilio_key"),
)
_LEADING = " \t\r\n=:\"'`,;("  # delimiters some plugin regexes include before the token
_TRAILING = " \t\r\n\"'`,;)"  # ... and after it ('=' stays: base64 padding is part of a key)
MIN_TOKEN_CHARS = 10


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    regex: re.Pattern[str]


@functools.lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    """The plugins' regexes (loaded once, on first use; none if the package is missing)."""
    found: list[Rule] = []
    for module_name, class_name, kind in PLUGINS:
        try:
            module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
            denylist = getattr(module, class_name).denylist
        except (ImportError, AttributeError) as exc:  # an older or newer detect-secrets: use what is there
            log.debug("detect-secrets rule %s.%s unavailable: %s", module_name, class_name, exc)
            continue
        found.extend(Rule(kind, regex) for regex in denylist if isinstance(regex, re.Pattern))
    if not found:
        log.warning("detect-secrets is not installed: redaction uses SpecPilot's own rules only")
    return tuple(found)


_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/_\-]{" + str(MIN_TOKEN_CHARS) + ",}")


_DIGIT, _LETTER = re.compile(r"\d"), re.compile(r"[A-Za-z]")


def _windows(text: str) -> list[tuple[int, int]]:
    """The lines worth running the rules on: those with a run of token characters long enough and
    mixing letters and digits (every token the rules accept has one). Most lines of code have none,
    which keeps the many plugin regexes off them. A window starts at the newline before its line,
    so the rules' ``\\s|^`` prefixes still match a token at the start of the line."""
    windows: list[tuple[int, int]] = []
    for run in _TOKEN_RUN.finditer(text):
        if windows and run.start() < windows[-1][1]:
            continue
        token = run.group(0)
        if _DIGIT.search(token) is None or _LETTER.search(token) is None:
            continue
        start = max(0, text.rfind("\n", 0, run.start()))
        end = text.find("\n", run.end())
        windows.append((start, len(text) if end < 0 else end))
    return windows


def find(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, kind)`` of each token a plugin rule finds in ``text``: the rule's capture
    group when it has one (an assignment's value), else the match without surrounding delimiters.
    A token glued to more letters or digits is part of a longer word, not a token."""
    windows = _windows(text)
    for rule in rules() if windows else ():
        for window_start, window_end in windows:
            for match in rule.regex.finditer(text, window_start, window_end):
                span = _accepted(text, match)
                if span is not None:
                    yield span[0], span[1], rule.kind


def _accepted(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start, end = _span(match)
    while start < end and text[start] in _LEADING:
        start += 1
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    if end - start < MIN_TOKEN_CHARS:
        return None
    if (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
        return None
    token = text[start:end]
    if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
        return None  # real tokens mix letters and digits; a long identifier does not
    return start, end


def _span(match: re.Match[str]) -> tuple[int, int]:
    for group in range(match.re.groups, 0, -1):  # the last group that matched: the value
        start, end = match.span(group)
        if start >= 0 and end > start:
            return start, end
    return match.span()
