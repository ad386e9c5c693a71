"""Country and language names for ISO codes, from pycountry (the ISO 3166-1 and ISO 639 tables).

Zoom stores a registrant's country as a two-letter code and a schedule may give a language as a code;
people read names. pycountry ships the Debian iso-codes data, kept up to date with ISO, so every
assigned code has its official short name ("Viet Nam", "Korea, Republic of", "Türkiye") and no table
here goes stale. Anything that is not a known code (free text, a user-assigned code such as XK) is
shown as given.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=512)
def country_name(code: str) -> str | None:
    """The ISO 3166-1 short name for an alpha-2 or alpha-3 code (any case), or None if it is not one."""
    code = code.strip()
    if len(code) not in (2, 3) or not code.isascii() or not code.isalpha():
        return None
    found = (
        pycountry.countries.get(alpha_2=code.upper())
        if len(code) == 2
        else pycountry.countries.get(alpha_3=code.upper())
    )
    return found.name if found else None


@lru_cache(maxsize=512)
def country_code(value: str) -> str | None:
    """The alpha-2 code for a code or an exact ISO name, official or common name (any case):
    'KH', 'khm', 'Cambodia' and 'Kingdom of Cambodia' are all KH. None for anything else."""
    value = value.strip()
    if not value or value.isdigit():
        return None
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return None


def country_label(value: str) -> str:
    """'Cambodia (KH)' for KH; names, free text and unknown codes as given."""
    name = country_name(value)
    return f"{name} ({value.strip().upper()})" if name else value


@lru_cache(maxsize=512)
def language_name(value: str) -> str:
    """The ISO 639 name for a two- or three-letter code ('km', 'khm': Khmer); anything else as given."""
    code = value.strip().lower()
    if len(code) not in (2, 3) or not code.isascii() or not code.isalpha():
        return value
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return found.name if found else value
