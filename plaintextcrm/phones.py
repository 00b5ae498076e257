"""Phone numbers as a phone dials them, whatever way a note or an export wrote them.

One place for it: import matches two spellings of one number by it (`+39 333 123 4567`,
`0039 333 1234567`), and the digest's `tel:` and `sms:` links dial it.
"""

from __future__ import annotations

import re


def dialable(number: str, region: str | None = None) -> tuple[str, bool]:
    """(the number in E.164 when `phonenumbers` can read it, True), else (its digits with
    a leading +, False): `+39 333 123 4567` and `0039 333 1234567` → (`+393331234567`,
    True); `(0123) 45` with no region → (`012345`, False). A `tel:` prefix is dropped."""
    import phonenumbers

    text = number.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    digits = re.sub(r"[^\d+]", "", text)
    # `00` is how most of the world dials abroad: `0039 02 555 0101` is +39 02 555 0101.
    tries = [text, "+" + digits[2:]] if digits.startswith("00") else [text]
    for attempt in tries:
        try:
            parsed = phonenumbers.parse(attempt, (region or "").upper() or None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True
    return (digits[0] + digits[1:].replace("+", "") if digits else ""), False
