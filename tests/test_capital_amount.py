"""The Chinese capital amount (大写金额) and the English USD words printed on quotes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.pdf.capital import MAX_AMOUNT, capital_amount, usd_words

DIGITS = "零壹贰叁肆伍陆柒捌玖"


@pytest.mark.parametrize("amount, expected", [
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("100", "壹佰元整"),
    ("1005.00", "壹仟零伍元整"),
    ("10.50", "壹拾元伍角"),
    ("10", "壹拾元整"),
    ("110", "壹佰壹拾元整"),
    ("100000000", "壹亿元整"),
    ("10010001", "壹仟零壹万零壹元整"),
    ("1004.56", "壹仟零肆元伍角陆分"),
    ("100000", "壹拾万元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),   # 零 may be left out before 柒仟; we leave it out
    ("100700", "壹拾万零柒佰元整"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),   # 零 may be left out after 元 when 角 is not zero
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),  # 角 zero and 分 not: 零 is required
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("100000005", "壹亿零伍元整"),
    ("170000000", "壹亿柒仟万元整"),
    ("107000000", "壹亿零柒佰万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("20000.5", "贰万元伍角"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.35", "叁角伍分"),
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("1.500", "壹元伍角"),
])
def test_capital_amount(amount: str, expected: str):
    assert capital_amount(Decimal(amount)) == expected


def test_ints_are_amounts_too():
    assert capital_amount(3) == "叁元整"


@pytest.mark.parametrize("bad, error", [
    (Decimal("-0.01"), ValueError),
    (Decimal("-100"), ValueError),
    (Decimal("1.005"), ValueError),
    (Decimal("NaN"), ValueError),
    (Decimal("Infinity"), ValueError),
    (MAX_AMOUNT + Decimal("0.01"), ValueError),
    (1.5, TypeError),
    ("1.50", TypeError),
    (True, TypeError),
])
def test_refused(bad, error):
    with pytest.raises(error):
        capital_amount(bad)
    with pytest.raises(error):
        usd_words(bad)


# ---- Properties

def parse_capital(text: str) -> Decimal:
    """Read a capital amount back into a Decimal (the inverse the properties check against)."""
    cents = 0
    if text.endswith("整"):
        text = text[:-1]
    integer, _, fraction = text.rpartition("元")
    if not _:
        integer, fraction = "", text
    m = re.fullmatch(r"零?(?:(.)角)?零?(?:(.)分)?", fraction)
    assert m, fraction
    if m.group(1):
        cents += DIGITS.index(m.group(1)) * 10
    if m.group(2):
        cents += DIGITS.index(m.group(2))
    return Decimal(_parse_integer(integer) * 100 + cents) / 100


def _parse_integer(text: str) -> int:
    if "亿" in text:
        high, low = text.split("亿")
        return _parse_integer(high) * 10**8 + _parse_integer(low)
    if "万" in text:
        high, low = text.split("万")
        return _parse_integer(high) * 10**4 + _parse_integer(low)
    value, digit = 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        else:
            value += digit * 10 ** " 拾佰仟".index(ch)
            digit = 0
    return value + digit


cents_amounts = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100)).map(lambda c: Decimal(c) / 100)
# Sparse digits exercise the zero rules far more often than uniform integers do.
sparse_amounts = st.lists(st.sampled_from("0000000123456789"), min_size=1, max_size=18).map(
    lambda ds: Decimal(int("".join(ds))) / 100)
amounts = st.one_of(cents_amounts, sparse_amounts)


@given(amounts)
def test_reads_back_to_the_same_amount(amount: Decimal):
    assert parse_capital(capital_amount(amount)) == amount


@given(amounts)
def test_non_zero_digits_appear_in_order(amount: Decimal):
    expected = [DIGITS[int(c)] for c in f"{amount:.2f}" if c.isdigit() and c != "0"]
    assert [c for c in capital_amount(amount) if c in DIGITS and c != "零"] == expected


@given(amounts)
def test_zero_rules(amount: Decimal):
    text = capital_amount(amount)
    assert "零零" not in text
    if amount:
        assert not text.startswith("零")
        assert not re.search(r"零[元万亿整角]", text)
    # Every 拾 carries its digit.
    assert not re.search(r"(^|[^壹贰叁肆伍陆柒捌玖])拾", text)


@given(amounts)
def test_ending_follows_the_cents(amount: Decimal):
    text = capital_amount(amount)
    cents = int(amount * 100) % 100
    if cents == 0:
        assert text.endswith("元整")
    elif cents % 10:
        assert text.endswith("分")
    else:
        assert text.endswith("角")
    if amount < 1 and cents:
        assert "元" not in text


# ---- English words for USD

@pytest.mark.parametrize("amount, expected", [
    ("1234.56", "US DOLLARS ONE THOUSAND TWO HUNDRED THIRTY-FOUR AND CENTS FIFTY-SIX ONLY"),
    ("100", "US DOLLARS ONE HUNDRED ONLY"),
    ("0.05", "US DOLLARS ZERO AND CENTS FIVE ONLY"),
    ("0", "US DOLLARS ZERO ONLY"),
    ("19.10", "US DOLLARS NINETEEN AND CENTS TEN ONLY"),
    ("1000001", "US DOLLARS ONE MILLION ONE ONLY"),
    ("2015000.99", "US DOLLARS TWO MILLION FIFTEEN THOUSAND AND CENTS NINETY-NINE ONLY"),
    ("40", "US DOLLARS FORTY ONLY"),
])
def test_usd_words(amount: str, expected: str):
    assert usd_words(Decimal(amount)) == expected


_WORD_VALUES = {w: i for i, w in enumerate(
    "ZERO ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN FIFTEEN "
    "SIXTEEN SEVENTEEN EIGHTEEN NINETEEN".split())}
_WORD_VALUES.update({w: 10 * i for i, w in enumerate(
    "TWENTY THIRTY FORTY FIFTY SIXTY SEVENTY EIGHTY NINETY".split(), start=2)})
_SCALE_VALUES = {"THOUSAND": 10**3, "MILLION": 10**6, "BILLION": 10**9, "TRILLION": 10**12, "QUADRILLION": 10**15}


def _parse_english(words: str) -> int:
    total, current = 0, 0
    for word in words.replace("-", " ").split():
        if word == "HUNDRED":
            current *= 100
        elif word in _SCALE_VALUES:
            total += current * _SCALE_VALUES[word]
            current = 0
        else:
            current += _WORD_VALUES[word]
    return total + current


@given(amounts)
def test_usd_words_read_back(amount: Decimal):
    m = re.fullmatch(r"US DOLLARS (.+?)(?: AND CENTS (.+))? ONLY", usd_words(amount))
    assert m
    dollars = _parse_english(m.group(1))
    cents = _parse_english(m.group(2)) if m.group(2) else 0
    assert 0 < cents < 100 or m.group(2) is None
    assert Decimal(dollars * 100 + cents) / 100 == amount
