"""The bounds of verdigris.domain.values: one check per concern (issue 14)."""

from __future__ import annotations

import pytest

from verdigris.domain.errors import ValidationFailed
from verdigris.domain.leads import as_int, as_number
from verdigris.domain.values import (
    INT64_MAX,
    INT64_MIN,
    fits_int64,
    is_finite,
    nul_location,
    reject_nul,
    text_problem,
)


def test_fits_int64_is_the_signed_64_bit_range() -> None:
    assert fits_int64(INT64_MAX) and fits_int64(INT64_MIN) and fits_int64(0)
    assert not fits_int64(INT64_MAX + 1)
    assert not fits_int64(INT64_MIN - 1)


def test_as_int_refuses_ids_past_64_bits_in_every_form() -> None:
    assert as_int(INT64_MAX) == INT64_MAX
    assert as_int(str(INT64_MAX)) == INT64_MAX
    for value in (2**63, str(2**63), float(2**64), -(2**63) - 1, "9" * 400):
        assert as_int(value) is None, value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10**400])
def test_is_finite_refuses_what_a_double_cannot_hold(value: float | int) -> None:
    assert not is_finite(value)


def test_as_number_keeps_finite_numbers_and_refuses_the_rest() -> None:
    assert as_number("12.5") == 12.5
    assert as_number(10**300) == 1e300 and isinstance(as_number(10**300), float)
    assert as_number(2**63 - 1) == 2**63 - 1
    for value in ("nan", "inf", "-Infinity", "1e999", 10**400, float("nan")):
        assert as_number(value) is None, value


def test_text_problem() -> None:
    assert text_problem("x" * 255, 255) is None
    assert text_problem("x" * 256, 255) == "too_long"
    assert text_problem("a\x00b", None) == "invalid"
    assert text_problem("a\x00" + "x" * 300, 255) == "invalid"


def test_nul_location_names_the_top_level_key() -> None:
    assert nul_location({"name": "ok", "tags": ["a"]}) is None
    assert nul_location({"address": {"city": "a\x00"}}) == "address"
    assert nul_location({"leads": [{"custom_fields": [{"value": ["\x00"]}]}]}) == "leads"
    assert nul_location({"match": {"fie\x00ld": 1}}) == "match"
    assert nul_location({"na\x00me": 1}) == "name"
    assert nul_location(["\x00"]) == ""
    deep: object = "\x00"
    for _ in range(5000):  # no recursion
        deep = [deep]
    assert nul_location({"x": deep}) == "x"


def test_reject_nul_reads_the_query_string_too() -> None:
    reject_nul({"city": "Savannah"}, [("state", "GA")])
    with pytest.raises(ValidationFailed) as caught:
        reject_nul(None, [("city", "Sav\x00")])
    assert caught.value.errors == {"city": ["invalid"]}
    with pytest.raises(ValidationFailed) as caught:
        reject_nul(["\x00"])
    assert caught.value.errors == {"body": ["invalid"]}
