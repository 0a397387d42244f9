// Package event defines medshield's single currency: the Event, an ECS-style
// record shared by every collector, detector, the server and the console.
//
// Field names follow the Elastic Common Schema with dotted JSON names so that
// Sigma field mappings and exports to other SIEMs are natural. The package has
// no dependencies on transport or storage; any package may import it.
package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Kinds of events.
const (
	KindEvent = "event"
	KindAlert = "alert"
	KindState = "state"
)

// Severity bands on the 0-100 scale used by event.severity.
const (
	SeverityInfo     = 10
	SeverityLow      = 30
	SeverityMedium   = 50
	SeverityHigh     = 70
	SeverityCritical = 90
)

// Limits on untrusted events (server ingest validates against these).
const (
	MaxFieldLen   = 64 << 10  // any single string field
	MaxRawLen     = 256 << 10 // the raw original record
	MaxLabels     = 64
	MaxTechniques = 32
)

// Event is one record. JSON names are the ECS dotted names, flat (not nested),
// which keeps decoding strict and cheap.
type Event struct {
	Timestamp time.Time `json:"@timestamp"`
	ID        string    `json:"event.id"`
	Kind      string    `json:"event.kind"`
	Category  string    `json:"event.category,omitempty"`
	Action    string    `json:"event.action,omitempty"`
	Severity  int       `json:"event.severity,omitempty"`
	Dataset   string    `json:"event.dataset,omitempty"`

	HostID       string `json:"host.id,omitempty"`
	HostName     string `json:"host.name,omitempty"`
	Organization string `json:"organization.id,omitempty"`   // hospital
	Unit         string `json:"organization.unit,omitempty"` // department
	AgentID      string `json:"agent.id,omitempty"`

	Process     *Process          `json:"process,omitempty"`
	File        *File             `json:"file,omitempty"`
	Source      *Endpoint         `json:"source,omitempty"`
	Destination *Endpoint         `json:"destination,omitempty"`
	DNS         *DNS              `json:"dns,omitempty"`
	URL         *URL              `json:"url,omitempty"`
	User        *User             `json:"user,omitempty"`
	Rule        *Rule             `json:"rule,omitempty"`
	Techniques  []string          `json:"threat.technique.id,omitempty"`
	Message     string            `json:"message,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Fields carries additional ECS or source-specific fields (for example
	// the flattened Windows event for Sigma: "winlog.event_data.CommandLine").
	Fields map[string]any  `json:"fields,omitempty"`
	Raw    json.RawMessage `json:"raw,omitempty"`
}

// Process describes a process (ECS process.*).
type Process struct {
	PID         int    `json:"pid,omitempty"`
	PPID        int    `json:"parent.pid,omitempty"`
	Name        string `json:"name,omitempty"`
	Executable  string `json:"executable,omitempty"`
	CommandLine string `json:"command_line,omitempty"`
	Hash        string `json:"hash.sha256,omitempty"`
}

// File describes a file (ECS file.*).
type File struct {
	Path   string `json:"path,omitempty"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"hash.sha256,omitempty"`
	MD5    string `json:"hash.md5,omitempty"`
	SHA1   string `json:"hash.sha1,omitempty"`
}

// Endpoint is a network source or destination.
type Endpoint struct {
	IP      string `json:"ip,omitempty"`
	Port    int    `json:"port,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
	Packets int64  `json:"packets,omitempty"`
}

// DNS is a DNS question/answer summary.
type DNS struct {
	QuestionName string   `json:"question.name,omitempty"`
	QuestionType string   `json:"question.type,omitempty"`
	ResponseCode string   `json:"response_code,omitempty"`
	Answers      []string `json:"answers,omitempty"`
}

// URL is a URL (ECS url.*).
type URL struct {
	Full   string `json:"full,omitempty"`
	Domain string `json:"domain,omitempty"`
	Path   string `json:"path,omitempty"`
}

// User is an account (ECS user.*).
type User struct {
	Name   string `json:"name,omitempty"`
	Domain string `json:"domain,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Rule identifies the detection rule behind an alert.
type Rule struct {
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name,omitempty"`
	Ruleset     string   `json:"ruleset,omitempty"`
	Level       string   `json:"level,omitempty"`
	Author      string   `json:"author,omitempty"`
	Status      string   `json:"status,omitempty"`
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// NewID returns a fresh UUIDv7 (time-ordered) event id.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only if the system random source fails; fall back to v4
		// which panics in the same situation, making the failure loud.
		return uuid.NewString()
	}
	return id.String()
}

// New returns an event of the given kind with a fresh id and the current time.
func New(kind, dataset, action string) Event {
	return Event{
		Timestamp: time.Now().UTC(),
		ID:        NewID(),
		Kind:      kind,
		Dataset:   dataset,
		Action:    action,
	}
}

// SeverityFromLevel maps a rule level (Sigma/YARA meta style) to event.severity.
func SeverityFromLevel(level string) int {
	switch level {
	case "informational", "info":
		return SeverityInfo
	case "low":
		return SeverityLow
	case "medium":
		return SeverityMedium
	case "high":
		return SeverityHigh
	case "critical":
		return SeverityCritical
	}
	return SeverityMedium
}

// Validation errors.
var (
	ErrMissingID   = errors.New("missing event.id")
	ErrBadID       = errors.New("event.id is not a UUID")
	ErrBadKind     = errors.New("event.kind must be event, alert or state")
	ErrNoTimestamp = errors.New("missing @timestamp")
	ErrSeverity    = errors.New("event.severity out of range 0-100")
	ErrTooLarge    = errors.New("field too large")
)

// Validate checks an event received from an untrusted source.
func (e *Event) Validate() error {
	if e.ID == "" {
		return ErrMissingID
	}
	if _, err := uuid.Parse(e.ID); err != nil || len(e.ID) != 36 {
		return fmt.Errorf("%w: %q", ErrBadID, truncate(e.ID, 40))
	}
	switch e.Kind {
	case KindEvent, KindAlert, KindState:
	default:
		return fmt.Errorf("%w: %q", ErrBadKind, truncate(e.Kind, 40))
	}
	if e.Timestamp.IsZero() {
		return ErrNoTimestamp
	}
	if e.Severity < 0 || e.Severity > 100 {
		return ErrSeverity
	}
	for name, s := range e.stringFields() {
		if len(s) > MaxFieldLen {
			return fmt.Errorf("%w: %s is %d bytes (max %d)", ErrTooLarge, name, len(s), MaxFieldLen)
		}
	}
	if len(e.Raw) > MaxRawLen {
		return fmt.Errorf("%w: raw is %d bytes (max %d)", ErrTooLarge, len(e.Raw), MaxRawLen)
	}
	if len(e.Labels) > MaxLabels {
		return fmt.Errorf("%w: %d labels (max %d)", ErrTooLarge, len(e.Labels), MaxLabels)
	}
	if len(e.Techniques) > MaxTechniques {
		return fmt.Errorf("%w: %d techniques (max %d)", ErrTooLarge, len(e.Techniques), MaxTechniques)
	}
	return nil
}

func (e *Event) stringFields() map[string]string {
	m := map[string]string{
		"message": e.Message, "host.name": e.HostName, "host.id": e.HostID,
		"event.category": e.Category, "event.action": e.Action, "event.dataset": e.Dataset,
		"organization.id": e.Organization, "organization.unit": e.Unit,
	}
	if e.Process != nil {
		m["process.command_line"] = e.Process.CommandLine
		m["process.executable"] = e.Process.Executable
	}
	if e.File != nil {
		m["file.path"] = e.File.Path
	}
	if e.URL != nil {
		m["url.full"] = e.URL.Full
	}
	return m
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
