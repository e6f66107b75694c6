"""Text from a sheet or a config made safe to show: on a terminal, in a digest, in a log.

Cell text is the student's (or anyone's who shared the sheet): it may hold an escape sequence
that clears or rewrites the terminal, a newline that forges a line of a digest, Markdown that
makes a heading or a link, or — pasted into the wrong place — a private key. Everything that
prints or stores such text goes through one of these functions:

* :func:`visible` — control characters become visible symbols (ESC → ``␛``, newline → ``␊``,
  C1 controls and line/paragraph separators → ``\\x9b``-style escapes); for one-line fields.
* :func:`visible_lines` — the same, but newlines are kept; for multi-line text such as an
  email draft, whose lines are sheetsync's own.
* :func:`markdown_text` — :func:`visible`, then Markdown metacharacters escaped.
* :func:`looks_like_secret` / :func:`scrub_secrets` — key material is recognised and removed.
"""

from __future__ import annotations

import re

__all__ = [
    "looks_like_secret",
    "markdown_text",
    "scrub_secrets",
    "visible",
    "visible_lines",
]

# C0 controls and DEL, C1 controls, line/paragraph separators, bidi embeddings and overrides
# (which reorder what a terminal shows).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~])")  # enough: user text never starts a line


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block: ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` on one line with every control character shown, never sent raw."""
    return _CONTROL.sub(_picture, text)


def visible_lines(text: str) -> str:
    """Like :func:`visible`, but newlines are kept as they are."""
    return _CONTROL_BUT_LINES.sub(_picture, text)


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown: one line, no heading, link, emphasis or HTML of its own."""
    return _MARKDOWN.sub(r"\\\1", visible(text))


# ---------------------------------------------------------------------- secrets

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_JSON_SECRET = re.compile(
    r"""(["']?(?:private_key(?:_id)?|client_secret|refresh_token|access_token)["']?\s*[:=]\s*)"""
    r"""("(?:[^"\\]|\\.)*"?|'[^']*'?|\S+)""",
    re.I,
)
# Tokens (base64url, no "/"): long paths, which have "/" and ".", are not mistaken for them.
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+=_\-]{100,}")
_SECRET_HINTS = re.compile(r"-----BEGIN|PRIVATE KEY|private_key|client_secret|refresh_token", re.I)
REMOVED = "[key material removed]"


def looks_like_secret(text: str) -> bool:
    """True for text that may be key material rather than, say, a file name.

    A PEM block, JSON naming a private key or client secret, more than one line, anything
    over 512 characters, or a run of 100 token characters (letters, digits, ``+=_-``).
    """
    return bool(
        _SECRET_HINTS.search(text)
        or "\n" in text
        or "\r" in text
        or len(text) > 512
        or _LONG_TOKEN.search(text)
    )


def scrub_secrets(text: str) -> str:
    """``text`` with PEM blocks, private-key/secret values and long tokens replaced."""
    text = _PEM.sub(REMOVED, text)
    text = _JSON_SECRET.sub(lambda m: m.group(1) + REMOVED, text)
    return _LONG_TOKEN.sub(REMOVED, text)
