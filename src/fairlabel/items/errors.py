"""The answers for an item or a media file that does not exist or that the caller may not
see: one answer for both, so that nothing leaks across organizations. A leaf module, so
that any domain (gold, assist, the policies) can refuse an item without importing the
items service."""

from fairlabel.errors import NotFound


def item_not_found(item_id: int) -> NotFound:
    """One answer for a missing item and for one the caller may not see."""
    return NotFound(
        "no such item", field="item_id", value=item_id, expected="the id of an item you may see"
    )


def media_not_found(sha256: str) -> NotFound:
    return NotFound(
        "no such media file",
        field="sha256",
        value=sha256,
        expected="the SHA-256 of a media file you may see",
    )
