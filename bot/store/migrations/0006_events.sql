-- Live discussions (Discord scheduled events tied to a topic) and #welcometomydesk posts.

-- One row per live discussion the program schedules. The store is the truth: the Discord
-- event is made to match it by outbox work (SyncEvent), found again by ``id`` in its
-- description after a retried request, and its status follows Discord's gateway updates.
CREATE TABLE live_events (
    id               INTEGER PRIMARY KEY,
    round_id         INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    topic_id         INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    place_kind       TEXT NOT NULL CHECK (place_kind IN ('voice', 'stage', 'external')),
    channel_id       INTEGER,  -- the voice or stage channel; NULL for an external link
    location         TEXT,     -- the external link; NULL for a channel
    discord_event_id INTEGER UNIQUE,  -- once Discord has it
    status           TEXT NOT NULL DEFAULT 'scheduled'
                         CHECK (status IN ('scheduled', 'active', 'completed', 'cancelled')),
    revision         INTEGER NOT NULL DEFAULT 1,  -- each schedule, move or cancel adds one
    created_by       INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    -- When starts_at was last set: reminders that would have been due before it are skipped.
    planned_at       TEXT NOT NULL,
    CHECK (starts_at < ends_at),
    CHECK ((place_kind = 'external') = (location IS NOT NULL AND channel_id IS NULL))
);
CREATE INDEX live_events_unfinished ON live_events (starts_at)
    WHERE status IN ('scheduled', 'active');

-- A member's post in the desk forum (the thread), and their consent to have it featured.
-- The caption is the author's own words, typed when they consent; the photo is never copied.
CREATE TABLE desk_posts (
    thread_id    INTEGER PRIMARY KEY,
    author_id    INTEGER NOT NULL,
    posted_at    TEXT NOT NULL,
    consented_at TEXT,
    caption      TEXT,
    featured_at  TEXT,
    feature_slot TEXT,  -- the fortnight (its first day) in which it was featured
    CHECK ((consented_at IS NULL) = (caption IS NULL))
);
-- Nobody is featured twice, and a fortnight features one post at most.
CREATE UNIQUE INDEX desk_posts_one_feature_per_author ON desk_posts (author_id)
    WHERE featured_at IS NOT NULL;
CREATE UNIQUE INDEX desk_posts_one_feature_per_slot ON desk_posts (feature_slot)
    WHERE feature_slot IS NOT NULL;
