"""Who the matcher keeps apart as past partners, erased people included."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.domain.privacy import kept_apart
from bot.services.errors import UserFacingError
from bot.store import Store
from bot.store.privacy import PrivacyKeyMissing

log = logging.getLogger(__name__)


async def past_partners(store: Store, member_ids: Iterable[int]) -> set[frozenset[int]]:
    """Every pair of people who were partners once, as the store holds them, and the
    pairs among ``member_ids`` that people who asked to be erased left behind as keyed
    hashes. Refused when such hashes exist but their key is missing: pairing anyone then
    could pair an erased person with a former partner again."""
    past = await store.partnerships.past_pairs()
    tokens = await store.privacy.tokens()
    if not tokens:
        return past
    try:
        key = await store.privacy.key()
    except PrivacyKeyMissing as missing:
        log.error("cannot match: %s", missing)
        raise UserFacingError(
            "Cannot match anyone: the privacy key beside the database is missing (the bot's "
            "log says where it should be). Restore it from the backup it was copied to."
        ) from None
    assert key is not None
    return past | kept_apart(key, member_ids, tokens)
