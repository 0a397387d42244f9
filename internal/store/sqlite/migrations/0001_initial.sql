-- medshield schema v1 (SQLite). Times are int64 Unix nanoseconds, 0 = unset.

-- Events and alerts. seq (the rowid) orders events that share a timestamp
-- and is part of every secondary index for free, so pages are read straight
-- from an index in (ts, seq) order. doc is the event's JSON; exact-match
-- queries on any field use JSON functions on it.
CREATE TABLE events (
	seq          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL,
	ts           INTEGER NOT NULL,
	kind         TEXT    NOT NULL,
	severity     INTEGER NOT NULL,
	host_id      TEXT    NOT NULL,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	rule_id      TEXT    NOT NULL,
	message      TEXT    NOT NULL,
	doc          TEXT    NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_host ON events (host_id, ts);
CREATE INDEX events_kind ON events (kind, ts);
CREATE INDEX events_org ON events (organization, ts);
CREATE INDEX events_rule ON events (rule_id, ts) WHERE rule_id <> '';

CREATE TABLE agents (
	id           TEXT PRIMARY KEY,
	host_name    TEXT    NOT NULL,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	cert_serial  TEXT    NOT NULL,
	cert_sha256  TEXT    NOT NULL,
	enrolled_at  INTEGER NOT NULL,
	revoked_at   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	version      TEXT    NOT NULL,
	os           TEXT    NOT NULL,
	spool_depth  INTEGER NOT NULL,
	dropped      INTEGER NOT NULL,
	uptime_sec   INTEGER NOT NULL,
	inventory    BLOB
);
CREATE INDEX agents_serial ON agents (cert_serial);
CREATE INDEX agents_org ON agents (organization);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	hash         TEXT    NOT NULL UNIQUE,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	max_uses     INTEGER NOT NULL,
	uses         INTEGER NOT NULL,
	revoked_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	organization  TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	failed_logins INTEGER NOT NULL,
	locked_until  INTEGER NOT NULL,
	disabled_at   INTEGER NOT NULL
);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	hash       TEXT    NOT NULL UNIQUE,
	user_id    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL
);

-- The hash-chained audit log; seq is assigned inside the write transaction
-- (never by a sequence) so that it has no gaps.
CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	target    TEXT    NOT NULL,
	detail    TEXT    NOT NULL,
	remote    TEXT    NOT NULL,
	prev_hash TEXT    NOT NULL,
	hash      TEXT    NOT NULL
);

CREATE TABLE commands (
	id           TEXT PRIMARY KEY,
	agent_id     TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	args         BLOB,
	created_by   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL,
	completed_at INTEGER NOT NULL,
	result       BLOB,
	status       TEXT    NOT NULL
);
CREATE INDEX commands_agent ON commands (agent_id, status, created_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB
);
