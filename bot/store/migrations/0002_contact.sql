-- Contact tracking: fast "latest contact per member" lookups, the nudge cycle, and whether a
-- member chose their check-in DM setting (NULL means the configured default applies).

CREATE INDEX contact_events_by_member ON contact_events (partnership_id, participant_id, at);

-- When every partner was in touch again after the latest nudge, the nudge count starts over:
-- nudges and escalations at or before ``reset_after`` no longer count.
CREATE TABLE nudge_cycles (
    partnership_id INTEGER PRIMARY KEY REFERENCES partnerships (id) ON DELETE CASCADE,
    reset_after    TEXT NOT NULL
);

ALTER TABLE participants ADD COLUMN checkin_dm_chosen_at TEXT;
