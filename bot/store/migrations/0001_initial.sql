-- The whole program's schema. Times are ISO-8601 UTC text ("2026-11-23T09:00:00+00:00"),
-- dates are ISO dates. Message content is never stored: contact is who and when only.

CREATE TABLE participants (
    discord_id        INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    email             TEXT,
    timezone          TEXT NOT NULL,
    checkin_dm_opt_in INTEGER NOT NULL DEFAULT 0 CHECK (checkin_dm_opt_in IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    state      TEXT NOT NULL CHECK (state IN
                   ('draft', 'applications_open', 'applications_closed', 'running', 'ended')),
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One application per participant per round; a snapshot, since people change jobs and
-- countries between rounds.
CREATE TABLE applications (
    round_id              INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    participant_id        INTEGER NOT NULL REFERENCES participants (discord_id),
    institution           TEXT NOT NULL,
    sector                TEXT NOT NULL,
    country               TEXT NOT NULL,
    timezone              TEXT NOT NULL,
    career_stage          TEXT NOT NULL,
    languages             TEXT NOT NULL, -- JSON list of ISO 639-1 codes
    interests             TEXT NOT NULL, -- JSON list
    hopes                 TEXT NOT NULL,
    partner_sectors       TEXT NOT NULL, -- JSON list; empty means any
    partner_career_stages TEXT NOT NULL, -- JSON list; empty means any
    partner_countries     TEXT NOT NULL, -- JSON list; empty means any other country
    returning_note        TEXT,
    submitted_at          TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (round_id, participant_id)
);

-- Coordinators' matching constraints: a pin holds within a round, a forbid for good.
CREATE TABLE match_pins (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    member_a INTEGER NOT NULL,
    member_b INTEGER NOT NULL,
    CHECK (member_a < member_b),
    PRIMARY KEY (round_id, member_a, member_b)
);

CREATE TABLE match_forbids (
    member_a INTEGER NOT NULL,
    member_b INTEGER NOT NULL,
    reason   TEXT,
    CHECK (member_a < member_b),
    PRIMARY KEY (member_a, member_b)
);

CREATE TABLE partnerships (
    id         INTEGER PRIMARY KEY,
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('confirmed', 'active', 'member_left', 'ended')),
    score      REAL NOT NULL DEFAULT 0,
    reasons    TEXT NOT NULL DEFAULT '[]', -- JSON list of the matcher's reasons
    channel_id INTEGER,                    -- the private space: a channel or a private thread
    created_at TEXT NOT NULL,
    ended_at   TEXT,
    UNIQUE (round_id, name)
);

-- Two members normally, three allowed.
CREATE TABLE partnership_members (
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (discord_id),
    end_choice     TEXT CHECK (end_choice IN ('keep_in_touch', 'wrap_up')),
    left_at        TEXT,
    PRIMARY KEY (partnership_id, participant_id)
);
CREATE INDEX partnership_members_by_participant ON partnership_members (participant_id);

-- Channel categories opened for a round's spaces ("2026A partners", "2026A partners 2").
CREATE TABLE space_containers (
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('category', 'thread_parent')),
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (round_id, kind, number)
);

CREATE TABLE contact_events (
    id             INTEGER PRIMARY KEY,
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL,
    at             TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('message', 'logged')),
    kind           TEXT,        -- for logged contact: video, email, ...
    message_id     INTEGER UNIQUE
);
CREATE INDEX contact_events_by_pair ON contact_events (partnership_id, at);

CREATE TABLE away_periods (
    id             INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (discord_id),
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    note           TEXT,
    created_at     TEXT NOT NULL,
    cancelled_at   TEXT,
    CHECK (starts_at < ends_at)
);
CREATE INDEX away_periods_by_participant ON away_periods (participant_id, ends_at);

-- A round's own copy of its topics, so coordinators can add, edit and move them.
CREATE TABLE topics (
    id        INTEGER PRIMARY KEY,
    round_id  INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    slug      TEXT NOT NULL,
    title     TEXT NOT NULL,
    summary   TEXT NOT NULL,
    body      TEXT NOT NULL,
    prompts   TEXT NOT NULL DEFAULT '[]', -- JSON list
    due_on    TEXT NOT NULL,
    posted_at TEXT,
    cohort_thread_id INTEGER,
    UNIQUE (round_id, slug)
);

CREATE TABLE checkins (
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL,
    sequence       INTEGER NOT NULL,
    asked_at       TEXT NOT NULL,
    answered_at    TEXT,
    rating         TEXT CHECK (rating IN ('great', 'ok', 'not_working')),
    comment        TEXT,
    PRIMARY KEY (partnership_id, participant_id, sequence)
);

-- Every post the bot makes goes through here: the key makes it happen once, the nonce lets
-- Discord itself drop a resend, message_id records that it happened.
CREATE TABLE outbox (
    key            TEXT PRIMARY KEY,
    partnership_id INTEGER REFERENCES partnerships (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    target         TEXT NOT NULL,  -- JSON: where it goes (channel, forum, DM, coordinators)
    payload        TEXT NOT NULL,  -- JSON: what discord gets (content, embeds, components)
    due_at         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    message_id     INTEGER,
    sent_at        TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (due_at) WHERE sent_at IS NULL;

CREATE TABLE nudges (
    id             INTEGER PRIMARY KEY,
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('quiet', 'one_sided', 'escalation')),
    at             TEXT NOT NULL,
    outbox_key     TEXT NOT NULL UNIQUE
);
CREATE INDEX nudges_by_pair ON nudges (partnership_id, at);

CREATE TABLE feedback (
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL,
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment        TEXT,
    at             TEXT NOT NULL,
    PRIMARY KEY (partnership_id, participant_id)
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}' -- JSON
);

CREATE TABLE waitlist (
    discord_id INTEGER PRIMARY KEY,
    added_at   TEXT NOT NULL
);
