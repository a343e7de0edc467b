"""Amounts in words for printed quotes: the Chinese capital amount (大写金额) and English USD words.

Chinese conventions follow the People's Bank of China rules for filling in bills and settlement
vouchers (正确填写票据和结算凭证的基本规定):

- 拾 always carries its digit: 10 is 壹拾元整, never 拾元整.
- 整 follows an amount that ends at 元 (no 角, no 分). After 角 nothing is added (10.50 is 壹拾元伍角),
  and nothing ever follows 分.
- A run of zeros between non-zero digits is written as one 零: 1004.56 is 壹仟零肆元伍角陆分,
  10010001 is 壹仟零壹万零壹元整.
- Where the rules allow 零 to be written or left out — a zero at the end of a 万/亿 group followed by a
  non-zero 仟 (107000 is 壹拾万柒仟元整), or a zero 元 digit followed by a non-zero 角 (1680.30 is
  壹仟陆佰捌拾元叁角) — it is left out. It is always written when 角 is zero and 分 is not: 325.04 is
  叁佰贰拾伍元零肆分.
- Amounts under one yuan start at their first non-zero unit, as banks print them: 0.05 is 伍分,
  0.35 is 叁角伍分. Zero is 零元整.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["MAX_AMOUNT", "capital_amount", "usd_words"]

# 亿 groups nest once (万亿 = 10^12); beyond 10^16 the wording is no longer the one banks use.
MAX_AMOUNT = Decimal("9999999999999999.99")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = {4: "万", 8: "亿", 12: "万"}


def _cents(amount: Decimal | int) -> int:
    """The amount in whole cents; refuses floats, negatives, fractions of a cent and overflow."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"amount must be a Decimal or an int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"amount must be finite, not {value}")
    if value < 0:
        raise ValueError(f"negative amounts have no capital form: {value}")
    if value > MAX_AMOUNT:
        raise ValueError(f"amount too large: {value}")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount has fractions of a cent: {value}")
    return int(cents)


def _integer_words(n: int) -> str:
    """Chinese capital numerals of 0 < n < 10^16, without 元."""
    digits = [int(c) for c in reversed(str(n))]  # digits[p] has place value 10^p
    out: list[str] = []
    pending_zero = False
    for p in range(len(digits) - 1, -1, -1):
        d = digits[p]
        if d:
            if pending_zero:
                out.append("零")
            out.append(_DIGITS[d] + _SMALL_UNITS[p % 4])
            pending_zero = False
        elif out:
            pending_zero = True
        if p in _GROUP_UNITS:
            # 亿 closes everything above it (10000 亿 is 壹万亿); 万 closes only its own four digits.
            above = n // 10**p if p == 8 else (n // 10**p) % 10**4
            if above:
                out.append(_GROUP_UNITS[p])
                pending_zero = False
    return "".join(out)


def capital_amount(amount: Decimal | int) -> str:
    """The Chinese capital amount of a yuan amount, e.g. Decimal("1234.56") → 壹仟贰佰叁拾肆元伍角陆分."""
    cents = _cents(amount)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    out = _integer_words(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen:
        if not jiao and yuan:
            out += "零"
        out += _DIGITS[fen] + "分"
    return out


_ONES = ("ZERO ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN "
         "FIFTEEN SIXTEEN SEVENTEEN EIGHTEEN NINETEEN").split()
_TENS = ("", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY")
_SCALES = ("", "THOUSAND", "MILLION", "BILLION", "TRILLION", "QUADRILLION")  # covers MAX_AMOUNT


def _below_thousand(n: int) -> str:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(f"{_ONES[hundreds]} HUNDRED")
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_ONES[rest])
    return " ".join(words)


def _english_number(n: int) -> str:
    """English words of 0 <= n < 10^18, in capitals, without 'and' (cheque style)."""
    if n == 0:
        return "ZERO"
    words = []
    for scale in range(len(_SCALES) - 1, -1, -1):
        chunk = (n // 1000**scale) % 1000
        if chunk:
            words.append(_below_thousand(chunk) + (f" {_SCALES[scale]}" if _SCALES[scale] else ""))
    return " ".join(words)


def usd_words(amount: Decimal | int) -> str:
    """A USD amount in English words, e.g. 1234.56 → US DOLLARS ONE THOUSAND … AND CENTS FIFTY-SIX ONLY."""
    cents = _cents(amount)
    dollars, rest = divmod(cents, 100)
    text = f"US DOLLARS {_english_number(dollars)}"
    if rest:
        text += f" AND CENTS {_english_number(rest)}"
    return text + " ONLY"
