-- medshield schema v1 (PostgreSQL). Times are int64 Unix nanoseconds, 0 = unset.

-- Events and alerts. seq orders events that share a timestamp; every
-- secondary index ends in (ts, seq) so pages are read straight from an index.
-- doc is the event's JSON, kept as json (text, checked on input, exactly as
-- sent) rather than jsonb: cheaper to insert, and it accepts \u0000 escapes
-- that jsonb refuses. Exact-match queries use JSON operators on it.
CREATE TABLE events (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id           TEXT    NOT NULL,
	ts           BIGINT  NOT NULL,
	kind         TEXT    NOT NULL,
	severity     BIGINT  NOT NULL,
	host_id      TEXT    NOT NULL,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	rule_id      TEXT    NOT NULL,
	message      TEXT    NOT NULL,
	doc          JSON    NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_ts ON events (ts, seq);
CREATE INDEX events_host ON events (host_id, ts, seq);
CREATE INDEX events_kind ON events (kind, ts, seq);
CREATE INDEX events_org ON events (organization, ts, seq);
CREATE INDEX events_rule ON events (rule_id, ts, seq) WHERE rule_id <> '';

CREATE TABLE agents (
	id           TEXT PRIMARY KEY,
	host_name    TEXT    NOT NULL,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	cert_serial  TEXT    NOT NULL,
	cert_sha256  TEXT    NOT NULL,
	enrolled_at  BIGINT  NOT NULL,
	revoked_at   BIGINT  NOT NULL,
	last_seen    BIGINT  NOT NULL,
	version      TEXT    NOT NULL,
	os           TEXT    NOT NULL,
	spool_depth  BIGINT  NOT NULL,
	dropped      BIGINT  NOT NULL,
	uptime_sec   BIGINT  NOT NULL,
	inventory    BYTEA
);
CREATE INDEX agents_serial ON agents (cert_serial);
CREATE INDEX agents_org ON agents (organization);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	hash         TEXT    NOT NULL UNIQUE,
	organization TEXT    NOT NULL,
	unit         TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL,
	max_uses     BIGINT  NOT NULL,
	uses         BIGINT  NOT NULL,
	revoked_at   BIGINT  NOT NULL,
	created_by   TEXT    NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	organization  TEXT    NOT NULL,
	created_at    BIGINT  NOT NULL,
	failed_logins BIGINT  NOT NULL,
	locked_until  BIGINT  NOT NULL,
	disabled_at   BIGINT  NOT NULL
);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	hash       TEXT    NOT NULL UNIQUE,
	user_id    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	revoked_at BIGINT  NOT NULL
);

-- The hash-chained audit log; seq is assigned inside the write transaction
-- (never by a sequence) so that it has no gaps.
CREATE TABLE audit (
	seq       BIGINT PRIMARY KEY,
	at        BIGINT  NOT NULL,
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
	args         BYTEA,
	created_by   TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	delivered_at BIGINT  NOT NULL,
	completed_at BIGINT  NOT NULL,
	result       BYTEA,
	status       TEXT    NOT NULL
);
CREATE INDEX commands_agent ON commands (agent_id, status, created_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BYTEA
);
