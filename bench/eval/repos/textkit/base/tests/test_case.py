import pytest

from textkit.strings import (
    camel_case,
    constant_case,
    kebab_case,
    pascal_case,
    snake_case,
    split_words,
    title_case,
)


def test_split_words_camel_and_acronyms():
    assert split_words("parseHTTPResponse_v2") == ["parse", "HTTP", "Response", "v", "2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HTTPServerError", "http_server_error"),
        ("already_snake", "already_snake"),
        ("Hello World", "hello_world"),
    ],
)
def test_snake_case(text, expected):
    assert snake_case(text) == expected


def test_other_cases():
    assert kebab_case("Hello World") == "hello-world"
    assert constant_case("maxRetryCount") == "MAX_RETRY_COUNT"
    assert camel_case("HTTP response code") == "httpResponseCode"
    assert pascal_case("user_account_id") == "UserAccountId"


def test_title_case_small_words():
    assert title_case("the lord of the rings") == "The Lord of the Rings"
    assert title_case("what it is for") == "What It Is For"
