"""Where a shared index lives: an ``s3://bucket/prefix`` URI, and what LanceDB needs to reach it.

The endpoint, the region and the credentials come from the standard AWS places, resolved by botocore as the AWS
CLI resolves them: ``$AWS_ACCESS_KEY_ID``/``$AWS_SECRET_ACCESS_KEY``/``$AWS_SESSION_TOKEN``, ``$AWS_PROFILE`` and
``~/.aws/credentials``/``~/.aws/config``, SSO and instance roles; the endpoint from ``$AWS_ENDPOINT_URL_S3``,
``$AWS_ENDPOINT_URL`` or the profile's ``endpoint_url`` (AWS itself without one); the region from
``$AWS_REGION``, ``$AWS_DEFAULT_REGION`` or the profile (``us-east-1`` without one).

Secrets never leave this module in text: :meth:`Remote.describe` names the URI, the endpoint, the region and the
access key's last four characters, and every error from the store goes through :func:`explain`, which says what
went wrong in words (unreachable, credentials refused or expired, no such bucket) and redacts what it quotes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from specpilot.core.errors import SpecPilotError

URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(?P<prefix>[^\s]*))?")
# Fail fast: an unreachable store must not hold up the local index (object_store retries for minutes by default).
TIMEOUTS = {"connect_timeout": "3s", "timeout": "60s", "client_max_retries": "3", "client_retry_timeout": "20"}


class RemoteError(SpecPilotError, RuntimeError):
    """The shared index cannot be used as asked; the message says why in words. The local index keeps serving."""


@dataclass(frozen=True)
class Remote:
    """A resolved shared index: its URI, and the storage options LanceDB opens it with (secrets: keep them out
    of text; ``repr`` leaves them out)."""

    uri: str
    bucket: str
    prefix: str
    endpoint: str | None
    region: str
    key_hint: str  # the access key's last four characters, or "" (anonymous)
    options: dict[str, str] = field(repr=False)

    def describe(self) -> str:
        where = self.endpoint or "AWS S3"
        who = f"key …{self.key_hint}" if self.key_hint else "no credentials"
        return f"{self.uri} at {where} ({self.region}, {who})"

    def secrets(self) -> list[str]:
        return [v for k, v in self.options.items() if k in ("aws_secret_access_key", "aws_session_token",
                                                               "aws_access_key_id") and v]


def parse_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix without slashes at its ends); RemoteError when it is not one."""
    found = URI.fullmatch(uri.strip())
    if found is None:
        raise RemoteError(f"{uri!r} is not a shared index URI: it must look like s3://bucket/prefix "
                          "(a bucket name of 3-63 lowercase letters, digits, dots or dashes)")
    prefix = (found.group("prefix") or "").strip("/")
    if ".." in prefix.split("/"):
        raise RemoteError(f"{uri!r}: the prefix may not contain '..'")
    return found.group("bucket"), prefix


def resolve(uri: str) -> Remote:
    """The shared index at ``uri`` with the endpoint, region and credentials of the standard AWS places (this
    process's environment, and the files and profile it names)."""
    bucket, prefix = parse_uri(uri)
    env = os.environ
    try:
        import botocore.session
        from botocore.exceptions import BotoCoreError
    except ImportError:  # pragma: no cover - a dependency; a broken install says so
        raise RemoteError("botocore is not installed: reinstall SpecPilot (pip install specpilot)") from None
    session = botocore.session.Session()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if env.get(name):
            session.set_config_variable("profile", env[name])
            break
    try:
        scoped = session.get_scoped_config()
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:
        raise RemoteError(f"the AWS settings could not be read: {exc}") from None
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or scoped.get("region") or "us-east-1"
    endpoint = (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or scoped.get("endpoint_url")
                or None)
    options = {"aws_region": region, **TIMEOUTS}
    if endpoint:
        if not re.fullmatch(r"https?://[^\s/]+(:\d+)?/?", endpoint):
            raise RemoteError(f"the S3 endpoint {endpoint!r} is not an http(s)://host[:port] URL")
        options["aws_endpoint"] = endpoint.rstrip("/")
        options["allow_http"] = "true" if endpoint.startswith("http://") else "false"
    hint = ""
    if frozen is not None and frozen.access_key:
        options["aws_access_key_id"] = frozen.access_key
        options["aws_secret_access_key"] = frozen.secret_key or ""
        if frozen.token:
            options["aws_session_token"] = frozen.token
        hint = frozen.access_key[-4:]
    else:
        options["aws_skip_signature"] = "true"  # anonymous: a public bucket, read only
    return Remote(uri.strip().rstrip("/"), bucket, prefix, options.get("aws_endpoint"), region, hint, options)


def redact(text: str, remote: Remote) -> str:
    """``text`` without the remote's secrets (whole or in the URL-encoded form a signed URL would carry)."""
    for secret in remote.secrets():
        text = text.replace(secret, "[redacted]")
    return re.sub(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"]+", r"\1[redacted]", text)


_CODES = {
    "InvalidAccessKeyId": "the access key is not known to the store",
    "SignatureDoesNotMatch": "the secret key does not match the access key",
    "ExpiredToken": "the credentials have expired: sign in again (aws sso login, or new keys)",
    "TokenRefreshRequired": "the credentials have expired: sign in again (aws sso login, or new keys)",
    "RequestTimeTooSkewed": "this machine's clock is too far from the store's",
    "AccessDenied": "access is denied to these credentials",
    "NoSuchBucket": "the bucket does not exist",
}


def explain(exc: BaseException, remote: Remote, doing: str) -> RemoteError:
    """The store's error while ``doing`` something, as a RemoteError that says why in words (redacted)."""
    text = redact(str(exc), remote)
    reason = next((why for code, why in _CODES.items() if code in text), "")
    if not reason:
        if re.search(r"kind: Connect|Connection refused|dns error|tcp connect|error trying to connect", text):
            reason = f"the store cannot be reached at {remote.endpoint or 'AWS S3'}"
        elif re.search(r"status: 403|Forbidden", text):
            reason = "the store refused these credentials"
        elif re.search(r"status: 404", text):
            reason = "the bucket or prefix does not exist"
        elif re.search(r"timed out|Timeout", text, re.IGNORECASE):
            reason = "the store did not answer in time"
    detail = text.splitlines()[0][:300] if text else type(exc).__name__
    return RemoteError(f"the shared index {remote.uri} could not be {doing}: "
                       f"{reason or 'the store answered with an error'} ({detail})")
