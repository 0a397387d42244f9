// Package store defines medshield's storage interface and the records kept by
// the server: events (and alerts, which are events of kind alert), agents,
// enrolment tokens, users, sessions, API keys, agent commands, the
// hash-chained audit log and small settings. Implementations live in
// store/sqlite (embedded default) and store/postgres; both pass the same
// conformance suite in store/storetest.
//
// Engines never import this package; the server, agent tools and console do.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// Errors shared by implementations.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrTokenInvalid covers expired, used-up, revoked or unknown tokens; the
	// caller must not learn which (no oracle for attackers).
	ErrTokenInvalid = errors.New("enrolment token invalid")
)

// Store is everything the server keeps. It is composed of small interfaces
// so that a component can ask for only what it uses.
type Store interface {
	Events
	Agents
	Tokens
	Users
	Audit
	Commands
	Settings
	// Close releases the database.
	Close() error
}

// Events stores events and alerts.
type Events interface {
	// AppendEvents stores a batch in one transaction. Events whose ID is
	// already stored are ignored; inserted counts the new ones. Either the
	// whole batch is committed or nothing is.
	AppendEvents(ctx context.Context, events []event.Event) (inserted int, err error)
	// QueryEvents returns events matching q, newest first, with a cursor for
	// the next page.
	QueryEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// CountEvents counts events matching q (ignores Limit and Cursor).
	CountEvents(ctx context.Context, q EventQuery) (int64, error)
	// DeleteEventsBefore removes events of a kind older than t (retention).
	DeleteEventsBefore(ctx context.Context, kind string, t time.Time) (int64, error)
}

// EventQuery filters events. Zero fields do not filter.
type EventQuery struct {
	From, To     time.Time // To is exclusive
	HostID       string
	Organization string // hospital
	Unit         string // department
	Kind         string
	MinSeverity  int
	RuleID       string
	Text         string            // case-insensitive substring of message
	Fields       map[string]string // exact match on flattened ECS field names
	Limit        int               // default 100, max 1000
	Cursor       string            // opaque, from EventPage.Next
}

// EventPage is one page of results.
type EventPage struct {
	Events []event.Event
	Next   string // empty when there are no more
}

// Agent is an enrolled agent (or sensor) and its host.
type Agent struct {
	ID           string
	HostName     string
	Organization string
	Unit         string
	CertSerial   string // hex serial of the client certificate
	CertSHA256   string // hex fingerprint of the client certificate
	EnrolledAt   time.Time
	RevokedAt    time.Time // zero when not revoked
	LastSeen     time.Time
	Version      string
	OS           string
	SpoolDepth   int64
	Dropped      int64
	UptimeSec    int64
	Inventory    []byte // last host inventory event (JSON)
}

// Heartbeat is an agent's periodic status.
type Heartbeat struct {
	AgentID    string
	At         time.Time
	Version    string
	OS         string
	HostName   string
	UptimeSec  int64
	SpoolDepth int64
	Dropped    int64
}

// Agents stores enrolled agents.
type Agents interface {
	CreateAgent(ctx context.Context, a Agent) error
	GetAgent(ctx context.Context, id string) (Agent, error)
	// ListAgents lists agents, optionally only those of one hospital.
	ListAgents(ctx context.Context, organization string) ([]Agent, error)
	RecordHeartbeat(ctx context.Context, h Heartbeat) error
	SetInventory(ctx context.Context, agentID string, inventory []byte) error
	RevokeAgent(ctx context.Context, id string, at time.Time) error
	// IsRevokedSerial reports whether a certificate serial belongs to a
	// revoked agent (or to no agent at all).
	IsRevokedSerial(ctx context.Context, serial string) (bool, error)
}

// Token is an enrolment token; only the SHA-256 hash of its secret is kept.
type Token struct {
	ID           string
	Hash         string // hex sha256 of the secret
	Organization string
	Unit         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	MaxUses      int
	Uses         int
	RevokedAt    time.Time
	CreatedBy    string
}

// Tokens stores enrolment tokens.
type Tokens interface {
	CreateToken(ctx context.Context, t Token) error
	// ConsumeToken atomically checks that the token with this hash exists, is
	// not revoked, not expired at now and not used up, and counts one use.
	ConsumeToken(ctx context.Context, hash string, now time.Time) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// Roles of console users.
const (
	RoleAdmin   = "admin"
	RoleAnalyst = "analyst"
	RoleAuditor = "auditor"
	RoleViewer  = "viewer" // scoped to one hospital
)

// User is a console user. PasswordHash is an encoded argon2id hash.
type User struct {
	ID           string
	Name         string
	PasswordHash string
	Role         string
	Organization string // scope for viewers; empty = all
	CreatedAt    time.Time
	FailedLogins int
	LockedUntil  time.Time
	DisabledAt   time.Time
}

// Session is a console login session; only the hash of its id is kept.
type Session struct {
	Hash      string
	UserID    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIKey is a bearer key for automation; only its hash is kept.
type APIKey struct {
	ID        string
	Hash      string
	UserID    string
	Name      string
	CreatedAt time.Time
	RevokedAt time.Time
}

// Users stores console users, sessions and API keys.
type Users interface {
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByName(ctx context.Context, name string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces the mutable fields (hash, role, organization,
	// failed logins, lock, disabled).
	UpdateUser(ctx context.Context, u User) error

	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, hash string) (Session, error)
	DeleteSession(ctx context.Context, hash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
}

// AuditRecord is one entry of the hash-chained audit log. Hash is
// sha256(PrevHash || canonical encoding of the other fields); see package
// internal/audit for the encoding. Seq starts at 1.
type AuditRecord struct {
	Seq      int64
	At       time.Time
	Actor    string // user name, "agent:<id>" or "system"
	Action   string // e.g. token.create, agent.revoke, command.send
	Target   string
	Detail   string // JSON
	Remote   string // client address
	PrevHash string // hex
	Hash     string // hex
}

// Audit stores the audit log.
type Audit interface {
	// AppendAudit appends a record. The chain function is called inside the
	// transaction with the previous record's hash (empty for the first) and
	// the record with Seq set; it returns the record's hash. This keeps the
	// chain consistent under concurrent writers.
	AppendAudit(ctx context.Context, r AuditRecord, chain func(prevHash string, r AuditRecord) string) (AuditRecord, error)
	// ListAudit returns up to limit records with Seq > after, in order.
	ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error)
}

// Command is an instruction for an agent, delivered by long poll.
type Command struct {
	ID          string
	AgentID     string
	Name        string // ping, collect-inventory, ...
	Args        []byte // JSON
	CreatedBy   string
	CreatedAt   time.Time
	DeliveredAt time.Time
	CompletedAt time.Time
	Result      []byte // JSON
	Status      string // pending, delivered, done, failed
}

// Commands stores agent commands.
type Commands interface {
	CreateCommand(ctx context.Context, c Command) error
	// PendingCommands returns undelivered commands for an agent and marks
	// them delivered at now.
	PendingCommands(ctx context.Context, agentID string, now time.Time) ([]Command, error)
	CompleteCommand(ctx context.Context, id, agentID, status string, result []byte, at time.Time) error
	GetCommand(ctx context.Context, id string) (Command, error)
}

// Settings stores small named values (for example the CA key, schema notes).
type Settings interface {
	GetSetting(ctx context.Context, key string) ([]byte, error) // ErrNotFound if absent
	PutSetting(ctx context.Context, key string, value []byte) error
}
