-- What to call a person (asked by the form since this version; NULL for people who never
-- said, whose posts fall back to the first word of their name). A person's, not a round's.
ALTER TABLE participants ADD COLUMN preferred_name TEXT;

-- What an applicant agreed to show their partner in this round's introduction: the e-mail
-- address (kept in participants for coordinators either way) and, in their own words,
-- other ways to reach them. Nothing is shown unless they said so.
ALTER TABLE applications ADD COLUMN share_email INTEGER NOT NULL DEFAULT 0
    CHECK (share_email IN (0, 1));
ALTER TABLE applications ADD COLUMN other_contact TEXT;
