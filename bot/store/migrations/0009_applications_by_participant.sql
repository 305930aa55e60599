-- A person's applications in every round: what the purge asks of each participant (is
-- anything still theirs?) and what a person's export and erasure read. The primary key
-- leads with the round, so without this each question scanned every application.
CREATE INDEX applications_by_participant ON applications (participant_id);
