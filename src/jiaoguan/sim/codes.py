"""Check digits and code grammars the synthetic city must satisfy, scalar and vectorised.

The scalar functions follow the reference implementation in shared/reference/standards.md §3.4;
the vectorised ones build millions of identifiers as byte matrices (one row per code), which is
what keeps a 3-million-vehicle city within minutes.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

# GB 32100-2015 unified social credit code.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]

# GB 11714-1997 organisation code (embedded in the credit code, positions 9-17).
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

# GA 36-2018 plate grammar (standards.md §2.2); only the shapes the city issues are needed here.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SERIAL = "[A-HJ-NP-Z0-9]"
PLATE_PATTERNS: dict[str, re.Pattern[str]] = {
    "ordinary": re.compile(rf"^[{PROVINCES}][A-Z]{SERIAL}{{5}}$"),
    "nev_small": re.compile(rf"^[{PROVINCES}][A-Z][DF]{SERIAL}\d{{4}}$"),
    "nev_large": re.compile(rf"^[{PROVINCES}][A-Z]\d{{5}}[DF]$"),
}
# Serial letters: A-Z without I and O, which would be confused with 1 and 0.
SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"


def id_check(body17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number_valid(value: str) -> bool:
    return (
        len(value) == 18
        and value[:17].isdigit()
        and value[17] in "0123456789X"
        and id_check(value[:17]) == value[17]
    )


def org_check(body8: str) -> str:
    """GB 11714 check character (digits 0-9, letters A-Z worth 10-35)."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body8, ORG_WEIGHTS, strict=True)
    )
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def uscc_check(body17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def credit_code_valid(value: str) -> bool:
    if len(value) != 18 or any(c not in USCC_CHARSET for c in value):
        return False
    return uscc_check(value[:17]) == value[17] and org_check(value[8:16]) == value[16]


def credit_code(division: str, serial: int, authority: str = "9", category: str = "1") -> str:
    """A credit code registered in `division` whose organisation body encodes `serial`.

    The body starts with "MA" like codes issued since 2015 and never collides for distinct serials.
    """
    body8 = "MA" + _base31(serial, 6)
    org = body8 + org_check(body8)
    body17 = f"{authority}{category}{division}{org}"
    return body17 + uscc_check(body17)


def _base31(value: int, width: int) -> str:
    # Organisation bodies use the letters the credit-code charset can carry (no I, O, S, V, Z).
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 31)
        chars.append(USCC_CHARSET[rem])
    if value:
        raise ValueError("serial too large")
    return "".join(reversed(chars))


def plate_kind(plate: str) -> str | None:
    """Which GA 36 shape a plate has, or None when it has none of them."""
    for kind, pattern in PLATE_PATTERNS.items():
        if pattern.match(plate):
            return kind
    return None


# ---- vectorised generators -------------------------------------------------------------------

ByteMatrix = npt.NDArray[np.uint8]


def digits_matrix(values: npt.NDArray[np.int64], width: int) -> ByteMatrix:
    """Zero-padded decimal digits (as integers 0-9) of each value, one row per value."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers[None, :]) % 10).astype(np.uint8)


def id_numbers(
    region: npt.NDArray[np.int64], birth: npt.NDArray[np.datetime64], seq: npt.NDArray[np.int64]
) -> npt.NDArray[np.bytes_]:
    """18-character GB 11643 numbers from county codes, birth dates and 3-digit sequences."""
    days = birth.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    dates = (
        (years.astype(np.int64) + 1970) * 10_000
        + (months.astype(np.int64) % 12 + 1) * 100
        + (days - months).astype(np.int64)
        + 1
    )
    body = np.concatenate(
        [digits_matrix(region, 6), digits_matrix(dates, 8), digits_matrix(seq, 3)], axis=1
    )
    checks = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[
        (body.astype(np.int64) @ ID_WEIGHTS) % 11
    ]
    ascii_rows = np.concatenate([body + ord("0"), checks[:, None]], axis=1)
    return np.ascontiguousarray(ascii_rows).view("S18").ravel()


# The ordinary serial space: five characters with at most two letters (standards.md §2.1).
# Index layout: [digits only] [one letter at position p, p = 0..4] [two letters at (p, q)].
_LETTER_SLOTS: list[tuple[int, ...]] = (
    [()] + [(p,) for p in range(5)] + [(p, q) for p in range(5) for q in range(p + 1, 5)]
)
_SLOT_SIZES = np.array([24 ** len(s) * 10 ** (5 - len(s)) for s in _LETTER_SLOTS], dtype=np.int64)
_SLOT_STARTS = np.concatenate([[0], np.cumsum(_SLOT_SIZES)[:-1]])
ORDINARY_SPACE = int(_SLOT_SIZES.sum())  # 7,060,000 serials per issuing authority
NEV_SMALL_SPACE = 2 * 34 * 10_000


def ordinary_serials(index: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """Decode indices in [0, ORDINARY_SPACE) to distinct 5-character serials (bytes)."""
    slot = np.searchsorted(_SLOT_STARTS, index, side="right") - 1
    offset = index - _SLOT_STARTS[slot]
    letters = np.frombuffer(SERIAL_LETTERS.encode(), dtype=np.uint8)
    out = np.empty((len(index), 5), dtype=np.uint8)
    for slot_no, positions in enumerate(_LETTER_SLOTS):
        rows = np.flatnonzero(slot == slot_no)
        if rows.size == 0:
            continue
        rest = offset[rows]
        for pos in range(4, -1, -1):
            if pos in positions:
                rest, value = np.divmod(rest, 24)
                out[rows, pos] = letters[value]
            else:
                rest, value = np.divmod(rest, 10)
                out[rows, pos] = value + ord("0")
    return np.ascontiguousarray(out).view("S5").ravel()


def nev_small_serials(index: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """Decode indices in [0, NEV_SMALL_SPACE) to 6-character small-NEV serials: [DF] S dddd."""
    serial_chars = np.frombuffer((DIGITS + SERIAL_LETTERS).encode(), dtype=np.uint8)
    first = np.frombuffer(b"DF", dtype=np.uint8)
    rest, tail = np.divmod(index, 10_000)
    rest, second = np.divmod(rest, 34)
    out = np.empty((len(index), 6), dtype=np.uint8)
    out[:, 0] = first[rest % 2]
    out[:, 1] = serial_chars[second]
    out[:, 2:] = digits_matrix(tail, 4) + ord("0")
    return np.ascontiguousarray(out).view("S6").ravel()


def nev_large_serials(index: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """Large NEV serials: five digits then D or F."""
    rest, tail = np.divmod(index, 100_000)
    out = np.empty((len(index), 6), dtype=np.uint8)
    out[:, :5] = digits_matrix(tail, 5) + ord("0")
    out[:, 5] = np.frombuffer(b"DF", dtype=np.uint8)[rest % 2]
    return np.ascontiguousarray(out).view("S6").ravel()
