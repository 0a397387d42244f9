package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/audit"
	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/store"
)

// Admin holds the administrative operations shared by the API, the console
// and the CLI (which opens the data directory directly). Each operation is
// written to the audit log.
type Admin struct {
	Store store.Store
	Audit *audit.Log
	Now   func() time.Time
}

// NewAdmin returns Admin for a store.
func NewAdmin(st store.Store) *Admin {
	return &Admin{Store: st, Audit: audit.New(st), Now: time.Now}
}

// Actor identifies who performs an admin action, for the audit log.
type Actor struct {
	Name   string
	Remote string
}

// TokenRequest describes a new enrolment token.
type TokenRequest struct {
	Hospital   string        `json:"hospital"`
	Department string        `json:"department"`
	TTL        time.Duration `json:"-"`
	TTLText    string        `json:"ttl"` // e.g. "24h" (API form)
	Uses       int           `json:"uses"`
}

// Limits for tokens.
const (
	MaxTokenTTL  = 30 * 24 * time.Hour
	MaxTokenUses = 100000
	maxNameLen   = 128
)

// CreateToken creates an enrolment token and returns its secret, which is
// shown once and stored only as a hash.
func (a *Admin) CreateToken(ctx context.Context, by Actor, req TokenRequest) (secret string, tok store.Token, err error) {
	if req.TTL == 0 && req.TTLText != "" {
		req.TTL, err = time.ParseDuration(req.TTLText)
		if err != nil {
			return "", tok, fmt.Errorf("ttl: %w", err)
		}
	}
	if req.TTL == 0 {
		req.TTL = 24 * time.Hour
	}
	if req.Uses == 0 {
		req.Uses = 1
	}
	switch {
	case strings.TrimSpace(req.Hospital) == "":
		return "", tok, errors.New("hospital is required")
	case len(req.Hospital) > maxNameLen || len(req.Department) > maxNameLen:
		return "", tok, fmt.Errorf("hospital and department names are limited to %d bytes", maxNameLen)
	case req.TTL < time.Minute || req.TTL > MaxTokenTTL:
		return "", tok, fmt.Errorf("ttl must be between 1m and %s", MaxTokenTTL)
	case req.Uses < 1 || req.Uses > MaxTokenUses:
		return "", tok, fmt.Errorf("uses must be between 1 and %d", MaxTokenUses)
	}
	secret, err = auth.Secret("mset_")
	if err != nil {
		return "", tok, err
	}
	now := a.Now().UTC()
	tok = store.Token{
		ID: auth.ID(), Hash: auth.HashSecret(secret), Organization: req.Hospital, Unit: req.Department,
		CreatedAt: now, ExpiresAt: now.Add(req.TTL), MaxUses: req.Uses, CreatedBy: by.Name,
	}
	if err := a.Store.CreateToken(ctx, tok); err != nil {
		return "", tok, fmt.Errorf("store token: %w", err)
	}
	_, err = a.Audit.Record(ctx, by.Name, "token.create", tok.ID, by.Remote, map[string]any{
		"hospital": tok.Organization, "department": tok.Unit, "expires": tok.ExpiresAt, "uses": tok.MaxUses})
	return secret, tok, err
}

// RevokeToken revokes a token.
func (a *Admin) RevokeToken(ctx context.Context, by Actor, id string) error {
	if err := a.Store.RevokeToken(ctx, id, a.Now().UTC()); err != nil {
		return err
	}
	_, err := a.Audit.Record(ctx, by.Name, "token.revoke", id, by.Remote, nil)
	return err
}

// RevokeAgent revokes an agent's certificate; its next request is refused.
func (a *Admin) RevokeAgent(ctx context.Context, by Actor, id string) error {
	if err := a.Store.RevokeAgent(ctx, id, a.Now().UTC()); err != nil {
		return err
	}
	_, err := a.Audit.Record(ctx, by.Name, "agent.revoke", id, by.Remote, nil)
	return err
}

// UserRequest describes a new console user.
type UserRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Hospital string `json:"hospital"` // required for viewers
}

// CreateUser creates a console user with an argon2id password hash.
func (a *Admin) CreateUser(ctx context.Context, by Actor, req UserRequest) (store.User, error) {
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 64 || strings.ContainsAny(req.Name, " \t\r\n:/") {
		return store.User{}, errors.New("user name must be 1-64 characters without spaces, ':' or '/'")
	}
	switch req.Role {
	case store.RoleAdmin, store.RoleAnalyst, store.RoleAuditor:
	case store.RoleViewer:
		if req.Hospital == "" {
			return store.User{}, errors.New("a viewer must be scoped to a hospital")
		}
	default:
		return store.User{}, fmt.Errorf("unknown role %q (admin, analyst, auditor, viewer)", req.Role)
	}
	if err := auth.CheckPasswordPolicy(req.Password); err != nil {
		return store.User{}, err
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: auth.ID(), Name: req.Name, PasswordHash: hash, Role: req.Role, Organization: req.Hospital, CreatedAt: a.Now().UTC()}
	if err := a.Store.CreateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("create user %q: %w", req.Name, err)
	}
	_, err = a.Audit.Record(ctx, by.Name, "user.create", u.Name, by.Remote, map[string]any{"role": u.Role, "hospital": u.Organization})
	return u, err
}

// SetPassword changes a user's password and clears any lockout.
func (a *Admin) SetPassword(ctx context.Context, by Actor, name, password string) error {
	u, err := a.Store.GetUserByName(ctx, name)
	if err != nil {
		return fmt.Errorf("user %q: %w", name, err)
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return err
	}
	if u.PasswordHash, err = auth.HashPassword(password); err != nil {
		return err
	}
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	_, err = a.Audit.Record(ctx, by.Name, "user.password", name, by.Remote, nil)
	return err
}

// CreateAPIKey creates a bearer API key acting as the given user.
func (a *Admin) CreateAPIKey(ctx context.Context, by Actor, userName, keyName string) (secret string, k store.APIKey, err error) {
	u, err := a.Store.GetUserByName(ctx, userName)
	if err != nil {
		return "", k, fmt.Errorf("user %q: %w", userName, err)
	}
	if secret, err = auth.Secret("msk_"); err != nil {
		return "", k, err
	}
	k = store.APIKey{ID: auth.ID(), Hash: auth.HashSecret(secret), UserID: u.ID, Name: keyName, CreatedAt: a.Now().UTC()}
	if err := a.Store.CreateAPIKey(ctx, k); err != nil {
		return "", k, err
	}
	_, err = a.Audit.Record(ctx, by.Name, "apikey.create", k.ID, by.Remote, map[string]any{"user": userName, "name": keyName})
	return secret, k, err
}

// EnsureAdmin creates the first admin account if no user exists. It returns
// the password when it created the account (generated unless given).
func (a *Admin) EnsureAdmin(ctx context.Context, name, password string) (created bool, pw string, err error) {
	users, err := a.Store.ListUsers(ctx)
	if err != nil {
		return false, "", err
	}
	if len(users) > 0 {
		return false, "", nil
	}
	pw = password
	if pw == "" {
		if pw, err = auth.RandomPassword(); err != nil {
			return false, "", err
		}
	}
	if _, err := a.CreateUser(ctx, Actor{Name: "system"}, UserRequest{Name: name, Password: pw, Role: store.RoleAdmin}); err != nil {
		return false, "", err
	}
	return true, pw, nil
}

// NewAdminFor returns the admin operations of a running server (same store,
// audit log and clock).
func NewAdminFor(s *Server) *Admin {
	return &Admin{Store: s.st, Audit: s.audit, Now: s.cfg.Now}
}

// CAFingerprint returns the fingerprint agents pin.
func (s *Server) CAFingerprint() string { return s.ca.Fingerprint() }
