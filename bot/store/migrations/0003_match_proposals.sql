-- The proposal /match run saved for a round: what /match confirm turns into partnerships.
-- inputs_digest fingerprints the applications, pins, forbids and history it was made from,
-- so a confirm after those changed is refused instead of storing a stale proposal.
CREATE TABLE match_proposals (
    round_id      INTEGER PRIMARY KEY REFERENCES rounds (id) ON DELETE CASCADE,
    inputs_digest TEXT NOT NULL,
    result        TEXT NOT NULL, -- JSON of the domain's MatchResult
    created_at    TEXT NOT NULL
);
