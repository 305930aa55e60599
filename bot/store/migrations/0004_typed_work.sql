-- Typed work in the outbox. A row's kind now names its model (bot/posts), and the payload
-- holds the model's fields only: the old "template" entry moves into the kind, a nudge's
-- "kind" (quiet or one-sided) becomes its "tone", a forum post's target no longer carries
-- the topic (its payload names it), and the numbers that were only in keys join the payload.
UPDATE outbox SET kind = json_extract(payload, '$.template')
    WHERE json_extract(payload, '$.template') IS NOT NULL;
UPDATE outbox SET payload = json_remove(payload, '$.template');
UPDATE outbox SET payload = json_set(json_remove(payload, '$.kind'), '$.tone',
    json_extract(payload, '$.kind')) WHERE kind = 'nudge';
UPDATE outbox SET target = json_remove(target, '$.topic_id')
    WHERE json_extract(target, '$.to') = 'forum';
UPDATE outbox SET payload = json_set(payload, '$.round_id',
    CAST(substr(key, 2, instr(key, ':') - 2) AS INTEGER)) WHERE kind = 'cohort_thread';
UPDATE outbox SET payload = json_set(payload, '$.number',
    CAST(replace(key, 'p' || partnership_id || ':escalation:', '') AS INTEGER))
    WHERE kind = 'escalation';

-- tried_at: a send was attempted, so before sending again after a long outage the bot
-- looks for the post first (Discord's nonce only de-duplicates for a few minutes).
-- gave_up_at: Discord refused the work in a way retrying cannot fix; coordinators were told.
ALTER TABLE outbox ADD COLUMN tried_at TEXT;
ALTER TABLE outbox ADD COLUMN gave_up_at TEXT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (due_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;

-- A round's topics keep the hashtags of the program's topic they were made from.
ALTER TABLE topics ADD COLUMN hashtags TEXT NOT NULL DEFAULT '[]';

-- A topic is posted once the first of its posts (in a space or the cohort forum) is out;
-- kept here so marking a post sent is one statement.
CREATE TRIGGER topic_posted AFTER UPDATE OF sent_at ON outbox
    WHEN NEW.sent_at IS NOT NULL AND NEW.kind IN ('topic', 'cohort_thread')
BEGIN
    UPDATE topics SET posted_at = COALESCE(posted_at, NEW.sent_at)
        WHERE id = json_extract(NEW.payload, '$.topic_id');
END;
