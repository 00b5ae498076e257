"""How to reach a contact from the digest: `tel:`, `sms:` and `mailto:` links.

The digest is read on a phone more than anywhere: a link that dials or opens a message
turns "reconnect with Anna" into one tap. Only the contact's first phone and first email
are used, the ones a note lists first; the links are built from the values, never from
note text, so a phone field holding `javascript:...` yields digits or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from plaintextcrm.model import Contact
from plaintextcrm.phones import dialable

#: An address a mail client can take: something@something, no spaces or controls.
_EMAIL = re.compile(r"[^\s@<>\"]+@[^\s@<>\"]+")


@dataclass(frozen=True)
class Reach:
    """A contact's first phone and email as written, and the links that use them."""

    phone: str | None
    tel: str | None
    sms: str | None
    email: str | None
    mailto: str | None


NOWHERE = Reach(None, None, None, None, None)


def reach(contact: Contact, region: str | None = None) -> Reach:
    """The links for `contact`; numbers without `+country` are read in `region`
    (`[import] default_region`), else dialled as written."""
    fields = contact.fields
    phone = next((p for p in fields.phones if dialable(p, region)[0].strip("+")), None)
    email = next((e.strip() for e in fields.emails if _EMAIL.fullmatch(e.strip())), None)
    number = dialable(phone, region)[0] if phone else None
    return Reach(
        phone=phone,
        tel=f"tel:{number}" if number else None,
        sms=f"sms:{number}" if number else None,
        email=email,
        mailto="mailto:" + quote(email, safe="@+.-_!~*'") if email else None,
    )
