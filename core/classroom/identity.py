"""Who is who in a class: join codes, teacher keys and nicknames, each with its one rule.

- A **join code** is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so
  it can be read off a projector and typed on a phone. Case, spaces and dashes are ignored:
  "abc-def" is "ABCDEF".
- A **teacher key** is 16 characters from the same alphabet, shown in groups of four. Only
  a salted scrypt hash of it is stored (a new random salt per class, the cost parameters
  written into the hash so they can be raised later), and it is compared in constant time.
- A **nickname** is what a student types, stored exactly as typed (after stripping spaces
  at both ends): any script, 1 to 24 characters, but no control characters (new lines,
  tabs, ...), nothing invisible (direction overrides, zero-width characters, soft hyphens,
  tag and variation characters, blank fillers such as U+3164 or U+2800) and at least one
  character that is not a space or an accent alone. Its normalised form (NFKC) counts too:
  one "ﷺ" (U+FDFA) is 18 characters once normalised, so 24 of them are refused.
- Two nicknames are the same student when they *look* the same: their keys
  (:func:`nickname_key`: NFKC, case-folded, then Unicode's confusable skeleton, UTS #39,
  see core.classroom.confusables) are equal. "Ana" rejoining as "ana", or as "Аna" with a
  Cyrillic А, is still Ana; nobody can join as a second "Ana" the teacher cannot tell apart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from core.classroom.confusables import skeleton
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
# Invisible characters: every format character (Cf: zero-width spaces and joiners, soft
# hyphen, word joiner, byte-order mark, tags U+E0001-E007F), private-use and unassigned code
# points (no glyph anyone can check), and Unicode's other default-ignorable code points
# (variation selectors, combining grapheme joiner, Hangul and Khmer fillers), plus the blank
# Braille pattern U+2800, which shows as an empty space.
INVISIBLE_CATEGORIES = {"Cf", "Co", "Cn"}
INVISIBLE_RANGES = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5),
                    (0x180B, 0x180F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
                    (0xFFA0, 0xFFA0), (0xE0000, 0xE0FFF))
KEY_FACTOR = 4  # a nickname's key may be this many times its longest length (ß -> ss...)


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


def _folded(text: str) -> str:
    """NFKC, case-folded, inner spaces collapsed to one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def nickname_key(nickname: str) -> str:
    """What makes two nicknames the same student: case-folded (NFKC), then the confusable
    skeleton (UTS #39), folded again, so "Ana", "ana", "ＡＮＡ" and "Аna" (Cyrillic А)
    share one key, and so do "Alice" and "A1ice". (Case goes first, so that "ALICE" stays
    Alice: a capital I is then an i, and no longer confused with an l.)"""
    return _folded(skeleton(_folded(nickname)))


def is_invisible(ch: str) -> bool:
    """Does ``ch`` show nothing (see INVISIBLE_CATEGORIES and INVISIBLE_RANGES)?"""
    code = ord(ch)
    return (unicodedata.category(ch) in INVISIBLE_CATEGORIES
            or any(low <= code <= high for low, high in INVISIBLE_RANGES))


def _visible(ch: str) -> bool:
    """A character that shows something by itself (not a space, not an accent alone)."""
    return not ch.isspace() and unicodedata.category(ch) not in ("Mn", "Me")


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
    if any(is_invisible(ch) for ch in nickname):
        raise InvalidInput(Msg("A nickname cannot contain invisible characters (zero-width "
                               "spaces, soft hyphens, blank fillers...): type it again."))
    if not any(_visible(ch) for ch in nickname):
        raise InvalidInput(Msg("A nickname needs at least one letter, digit or sign you can "
                               "see."))
    _check_normalised(nickname, max_chars)
    return nickname


def _check_normalised(nickname: str, max_chars: int) -> None:
    """InvalidInput when the nickname's normalised form or key outgrows KEY_FACTOR times
    ``max_chars`` (a ligature such as U+FDFA becomes 18 characters)."""
    most = KEY_FACTOR * max_chars
    longest = max(len(unicodedata.normalize("NFKC", nickname)), len(nickname_key(nickname)))
    if longest > most:
        raise InvalidInput(Msg("This nickname is too long once its characters are spelt out "
                               "({n} characters, at most {most}): please pick a shorter one.",
                               n=longest, most=most))


# Names a student may not take: the teacher is shown as "the teacher" (先生 in Japanese),
# so no student may look like them. Compared by nickname_key (case, width, look-alikes).
RESERVED_NICKNAMES = ("the teacher", "teacher", "先生", "せんせい", "センセイ", "教師")


def code_problem(raw: str) -> Msg | None:
    """Why ``raw`` cannot be a join code, when its length says so (None: it has the length
    of a code; whether a class has it is the database's question)."""
    n = len(_compact(raw))
    if n == CODE_LENGTH:
        return None
    return Msg('There is no class with the code "{code}": join codes have {length} '
               "characters, and this one has {n}. Check the code with your teacher.",
               length=CODE_LENGTH, code=str(raw).strip()[:12], n=n)


def refuse_reserved(nickname: str) -> None:
    """InvalidInput when the nickname reads as the teacher's (see RESERVED_NICKNAMES)."""
    if nickname_key(nickname) in {nickname_key(n) for n in RESERVED_NICKNAMES}:
        raise InvalidInput(Msg('"{nickname}" is kept for the teacher: please pick another '
                               "nickname.", nickname=nickname))
