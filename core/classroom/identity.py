"""Who is who in a class: join codes, teacher keys and nicknames, each with its one rule.

- A **join code** is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so
  it can be read off a projector and typed on a phone. Case, spaces and dashes are ignored:
  "abc-def" is "ABCDEF".
- A **teacher key** is 16 characters from the same alphabet, shown in groups of four. Only
  a salted scrypt hash of it is stored (a new random salt per class, the cost parameters
  written into the hash so they can be raised later), and it is compared in constant time.
- A **nickname** is what a student types, stored exactly as typed (after stripping spaces
  at both ends): any script, 1 to 24 characters, but no control characters (new lines,
  tabs, ...) and no invisible direction overrides. Two nicknames are the same student when
  they match ignoring case and Unicode width (NFKC), so "Ana" rejoining as "ana" is still Ana.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from core.classroom.errors import InvalidInput
from core.i18n import Msg

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0 O 1 I L
CODE_LENGTH = 6
KEY_LENGTH = 16
KEY_GROUP = 4
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # about 16 MB and 40 ms per hash
# Characters a nickname may not hold: controls (category Cc), lone surrogates (Cs), line and
# paragraph separators (Zl, Zp), and the bidirectional overrides that can reorder the text
# shown around a name.
FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _random_text(length: int) -> str:
    """``length`` characters drawn uniformly from CODE_ALPHABET by the OS's secure generator."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _compact(text: str) -> str:
    """``text`` upper-cased without spaces or dashes: how codes and keys are compared."""
    return "".join(ch for ch in str(text).upper() if ch not in " -\t")


def new_join_code() -> str:
    """A fresh random join code, e.g. "K7QMXD" (31^6, about 890 million possibilities)."""
    return _random_text(CODE_LENGTH)


def normalise_code(raw: str) -> str | None:
    """The join code a student typed, in its stored form, or None if it cannot be one."""
    code = _compact(raw)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def new_teacher_key() -> str:
    """A fresh teacher key shown in groups of four, e.g. "HX4K-9QPM-TT2W-B7RC" (about 2^79)."""
    raw = _random_text(KEY_LENGTH)
    return "-".join(raw[i:i + KEY_GROUP] for i in range(0, KEY_LENGTH, KEY_GROUP))


def _scrypt(key: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The 32-byte scrypt hash of the compacted key."""
    return hashlib.scrypt(_compact(key).encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=256 * r * n + 1024)


def hash_key(key: str) -> str:
    """The stored form of a teacher key: "scrypt$n$r$p$<salt hex>$<hash hex>", new salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(key, salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def key_matches(key: str, stored: str) -> bool:
    """Does ``key`` hash to ``stored`` (made by :func:`hash_key`)? Compared in constant time."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        mine = _scrypt(key, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(mine, bytes.fromhex(digest))


def nickname_key(nickname: str) -> str:
    """What makes two nicknames the same student: NFKC, case-folded, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", nickname).casefold().split())


def check_nickname(raw: str, max_chars: int) -> str:
    """The nickname to store (``raw`` stripped), or InvalidInput saying what is wrong with it.

    Nothing is escaped or replaced: "<script>" is stored as typed, and showing it safely is
    the page's job.
    """
    if not isinstance(raw, str):
        raise InvalidInput(Msg("A nickname must be text."))
    nickname = raw.strip()
    if not nickname:
        raise InvalidInput(Msg("Please type a nickname."))
    if len(nickname) > max_chars:
        raise InvalidInput(Msg("A nickname has at most {most} characters (this one has "
                               "{n}).", most=max_chars, n=len(nickname)))
    if any(unicodedata.category(ch) in FORBIDDEN_CATEGORIES or ch in BIDI_CONTROLS
           for ch in nickname):
        raise InvalidInput(Msg("A nickname cannot contain control characters (such as new "
                               "lines or tabs)."))
    return nickname
