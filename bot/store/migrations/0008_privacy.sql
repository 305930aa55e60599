-- Privacy: what must outlive a person's erasure keeps nothing that names them.
--
-- Two people the matcher must never pair again (past partners, or a coordinator's forbid)
-- of whom one asked to be erased: the pair as a keyed hash, never their ids. The key is
-- in a file beside the database (see bot/store/privacy.py), so a copy of the database
-- alone cannot tell whose pair a row is; bot/domain/privacy.py describes the hash.
CREATE TABLE unpairable (
    token TEXT PRIMARY KEY  -- 64 hex digits
);
