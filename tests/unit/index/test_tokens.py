from specpilot.index.tokens import looks_like_identifier, split_identifier, terms


def test_identifiers_kept_whole_and_split() -> None:
    assert terms("parse_headers") == ["parse_headers", "parse", "headers"]
    assert terms("HTTPMessage") == ["httpmessage", "http", "message"]
    assert terms("getAll(x)") == ["getall", "get", "all", "x"]


def test_plain_words_are_not_duplicated() -> None:
    assert terms("parse the header") == ["parse", "the", "header"]


def test_split_identifier_handles_digits_and_acronyms() -> None:
    assert split_identifier("parseHTTPHeaders_v2") == ["parse", "http", "headers", "v", "2"]


def test_identifier_shape() -> None:
    assert looks_like_identifier("parse_headers")
    assert looks_like_identifier("HeaderMap.get")
    assert not looks_like_identifier("parse the header")
    assert not looks_like_identifier("")
