"""Names and descriptions from the API, made safe to put in text that is not a page (CSV
cells, emails, webhook and chat messages): the bidirectional control characters, which can
make "db-01[U+202E]gpj.exe" read as something else, are shown visibly as [U+202E], and a
very long name is cut (with an ellipsis) so that one server cannot fill a message.

Pages (backupsui.backups.names) isolate each name in a <bdi> and write out the controls that
reorder text (EMBEDDINGS_AND_ISOLATES) the same way; they keep the marks, which names in
Arabic or Hebrew need and which cannot leave the <bdi>."""

# Unicode's bidirectional controls (Bidi_Control): the embeddings and overrides
# (U+202A-U+202E), the isolates (U+2066-U+2069), the marks (U+200E, U+200F) and the Arabic
# letter mark (U+061C).
EMBEDDINGS_AND_ISOLATES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI_CONTROLS = EMBEDDINGS_AND_ISOLATES | frozenset("\u061c\u200e\u200f")


def _written_out(controls) -> dict[int, str]:
    return {ord(char): f"[U+{ord(char):04X}]" for char in controls}


_VISIBLE = _written_out(BIDI_CONTROLS)
_VISIBLE_ON_PAGES = _written_out(EMBEDDINGS_AND_ISOLATES)
NAME_MAX = 200  # characters of a name or description shown outside pages


def visible_controls(text: str) -> str:
    """The text with each bidirectional control written out as [U+XXXX]."""
    return text.translate(_VISIBLE)


def visible_reordering(text: str) -> str:
    """The text with the controls that reorder text (embeddings, overrides, isolates)
    written out as [U+XXXX]; the marks kept (for a page, which isolates the text)."""
    return text.translate(_VISIBLE_ON_PAGES)


def shown_name(text, limit: int = NAME_MAX) -> str:
    """A name or description from the API as it may be shown outside a page: at most
    `limit` characters of it (then "…"), its bidirectional controls written out."""
    if text is None:
        return ""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return visible_controls(text)
