-- Cases: coordinators close the loop on every alert. One case per partnership or person
-- (its subject: 'p<partnership id>' or 'm<member id>'), reopened when new trouble comes;
-- its thread in the coordinators' channel starts from its card, so the two share an id.
CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    subject        TEXT NOT NULL UNIQUE,
    partnership_id INTEGER REFERENCES partnerships (id) ON DELETE CASCADE,
    participant_id INTEGER,
    title          TEXT NOT NULL,            -- the pair's space name, or the person's name
    state          TEXT NOT NULL CHECK (state IN ('open', 'handled')),
    opened_at      TEXT NOT NULL,            -- the start of the current open spell
    updated_at     TEXT NOT NULL,
    assignee_id    INTEGER,
    taken_at       TEXT,
    handled_at     TEXT,
    handled_by     INTEGER,
    handled_note   TEXT,
    thread_id      INTEGER,                  -- the case's thread, and the id of its card
    CHECK ((partnership_id IS NULL) != (participant_id IS NULL))
);
CREATE INDEX cases_by_state ON cases (state, opened_at);

-- What happened in a case, one row per follow-up posted in its thread (outbox_key). Only
-- what a case needs: a one-line summary, and the text a person deliberately sent to the
-- coordinators (or a coordinator sent from the case); never partners' own conversation.
CREATE TABLE case_events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor_id   INTEGER,
    member_id  INTEGER,                      -- the person it is about or from, if one
    summary    TEXT NOT NULL,
    body       TEXT,
    outbox_key TEXT NOT NULL UNIQUE
);
CREATE INDEX case_events_by_case ON case_events (case_id, at);

-- Coordinators' notes about a partnership (/pair note), shown in its case.
CREATE TABLE partnership_notes (
    id             INTEGER PRIMARY KEY,
    partnership_id INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    author_id      INTEGER NOT NULL,
    at             TEXT NOT NULL,
    text           TEXT NOT NULL
);
CREATE INDEX partnership_notes_by_pair ON partnership_notes (partnership_id, at);

-- What an applicant left without a partner answered to the bot's message after /match
-- confirm (a later press replaces it); 'withdrawn' when they withdrew afterwards.
CREATE TABLE unmatched_answers (
    round_id       INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL,
    answer         TEXT NOT NULL CHECK (answer IN ('keep', 'trio', 'talk', 'withdrawn')),
    answered_at    TEXT NOT NULL,
    PRIMARY KEY (round_id, participant_id)
);

-- The private thread the bot opened for a member who does not accept direct messages.
CREATE TABLE private_threads (
    participant_id INTEGER PRIMARY KEY,
    thread_id      INTEGER NOT NULL
);
