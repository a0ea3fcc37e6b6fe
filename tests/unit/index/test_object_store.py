"""Where a shared index lives: the URI, the AWS places its endpoint, region and credentials come from, and errors
that say why in words without quoting a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.index.object_store import RemoteError, explain, parse_uri, redact, resolve


def test_the_uri_must_be_a_bucket_and_a_prefix() -> None:
    assert parse_uri("s3://team-index/monorepo/main/") == ("team-index", "monorepo/main")
    assert parse_uri("s3://team-index") == ("team-index", "")
    for bad in ("", "file:///tmp/x", "s3://", "s3://UPPER/x", "s3://ab", "https://bucket/x", "s3://b-1/a/../b",
                "s3://bucket/with space"):
        with pytest.raises(RemoteError, match="not a shared index URI|may not contain"):
            parse_uri(bad)


def test_credentials_endpoint_and_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value-abcdef")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333/")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    remote = resolve("s3://team-index/repo")
    assert remote.options["aws_access_key_id"] == "AKIAEXAMPLEKEY1234"
    assert remote.options["aws_endpoint"] == "http://127.0.0.1:8333" and remote.options["allow_http"] == "true"
    assert remote.region == "eu-west-3" and remote.options["connect_timeout"] == "3s"
    assert remote.describe() == "s3://team-index/repo at http://127.0.0.1:8333 (eu-west-3, key …1234)"
    assert "very-secret" not in repr(remote) and "very-secret" not in remote.describe()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "ftp://example")
    with pytest.raises(RemoteError, match="not an http"):
        resolve("s3://team-index/repo")


def test_a_named_profile_supplies_keys_region_and_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile team]\nregion = ap-south-1\nendpoint_url = https://s3.team.example\n")
    credentials.write_text("[team]\naws_access_key_id = AKIAPROFILE9876\naws_secret_access_key = profile-secret-xyz\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "team")
    remote = resolve("s3://team-index/repo")
    assert (remote.region, remote.endpoint, remote.key_hint) == ("ap-south-1", "https://s3.team.example", "9876")
    assert remote.options["allow_http"] == "false"
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    with pytest.raises(RemoteError, match="AWS settings could not be read"):
        resolve("s3://team-index/repo")


def test_without_credentials_it_reads_anonymously() -> None:
    remote = resolve("s3://public-index/repo")
    assert remote.options.get("aws_skip_signature") == "true" and remote.key_hint == ""
    assert remote.describe().endswith("(us-east-1, no credentials)")


def test_errors_say_why_and_quote_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY1234")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value-abcdef")
    remote = resolve("s3://team-index/repo")
    raw = ("Generic S3 error: GET http://h/x?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIAEXAMPLEKEY1234/x "
           "status: 403 <Code>ExpiredToken</Code> very-secret-value-abcdef")
    said = str(explain(RuntimeError(raw), remote, "read"))
    assert "the credentials have expired" in said and "very-secret" not in said and "abcdef0123" not in said
    assert "AKIAEXAMPLEKEY1234" not in redact(raw, remote)
    assert "cannot be reached" in str(explain(OSError("tcp connect error: Connection refused"), remote, "opened"))
    assert "does not exist" in str(explain(ValueError("<Code>NoSuchBucket</Code>"), remote, "opened"))
    assert "answered with an error" in str(explain(RuntimeError("odd"), remote, "written"))
