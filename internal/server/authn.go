package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/store"
)

// SessionCookie is the console session cookie name.
const SessionCookie = "medshield_session"

// Lockout policy.
const (
	maxFailedLogins = 10
	lockoutFor      = 15 * time.Minute
)

type role int

const (
	anyRole role = iota
	auditorUp
	analystUp
	adminOnly
)

func allowed(need role, r string) bool {
	switch need {
	case anyRole:
		return true
	case auditorUp:
		return r == store.RoleAdmin || r == store.RoleAuditor
	case analystUp:
		return r == store.RoleAdmin || r == store.RoleAnalyst
	case adminOnly:
		return r == store.RoleAdmin
	}
	return false
}

// Principal is the authenticated console user or API key.
type Principal struct {
	User    store.User
	Session *store.Session // nil for API keys
	APIKey  *store.APIKey
}

// Scope returns the hospital the principal is limited to ("" = all).
func (p *Principal) Scope() string {
	if p.User.Role == store.RoleViewer {
		return p.User.Organization
	}
	return ""
}

// Actor returns the audit identity.
func (p *Principal) Actor(r *http.Request) Actor {
	name := p.User.Name
	if p.APIKey != nil {
		name += " (api key " + p.APIKey.ID + ")"
	}
	return Actor{Name: name, Remote: RemoteIP(r)}
}

type ctxKey struct{}

// PrincipalFrom returns the principal stored in a request context.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Authenticate resolves a request's session cookie or bearer key.
func (s *Server) Authenticate(r *http.Request) (*Principal, error) {
	ctx := r.Context()
	now := s.cfg.Now()
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		k, err := s.st.GetAPIKeyByHash(ctx, auth.HashSecret(strings.TrimPrefix(h, "Bearer ")))
		if err != nil || !k.RevokedAt.IsZero() {
			return nil, errors.New("invalid API key")
		}
		u, err := s.st.GetUser(ctx, k.UserID)
		if err != nil || !u.DisabledAt.IsZero() {
			return nil, errors.New("invalid API key")
		}
		return &Principal{User: u, APIKey: &k}, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, errors.New("not logged in")
	}
	sess, err := s.st.GetSession(ctx, auth.HashSecret(c.Value))
	if err != nil || now.After(sess.ExpiresAt) {
		return nil, errors.New("session expired")
	}
	u, err := s.st.GetUser(ctx, sess.UserID)
	if err != nil || !u.DisabledAt.IsZero() {
		return nil, errors.New("session invalid")
	}
	return &Principal{User: u, Session: &sess}, nil
}

// CheckCSRF verifies the CSRF token of a cookie-authenticated, state-changing
// request (header X-CSRF-Token or form field csrf).
func CheckCSRF(p *Principal, r *http.Request) bool {
	if p.Session == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = r.PostFormValue("csrf")
	}
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(p.Session.CSRF)) == 1
}

func (s *Server) user(need role, h func(http.ResponseWriter, *http.Request, *Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		if err != nil {
			writeErr(w, http.StatusUnauthorized, "unauthenticated", "%v", err)
			return
		}
		if !CheckCSRF(p, r) {
			writeErr(w, http.StatusForbidden, "csrf", "missing or wrong CSRF token")
			return
		}
		if !allowed(need, p.User.Role) {
			writeErr(w, http.StatusForbidden, "forbidden", "role %s may not do this", p.User.Role)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)), p)
	}
}

// LoginResult is returned by Login.
type LoginResult struct {
	Secret  string // session cookie value
	Session store.Session
	User    store.User
}

// Errors from Login (the API returns the same message for all credential
// failures).
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrRateLimited    = errors.New("too many login attempts; wait and try again")
	ErrLockedOut      = errors.New("account temporarily locked after repeated failures")
)

// Login checks credentials with rate limiting and lockout and creates a
// session.
func (s *Server) Login(ctx context.Context, name, password, remote string) (LoginResult, error) {
	now := s.cfg.Now()
	if !s.limiter.Allow("ip:"+remote, now) || !s.userLim.Allow(name, now) {
		_, _ = s.audit.Record(ctx, name, "login.ratelimited", name, remote, nil)
		return LoginResult{}, ErrRateLimited
	}
	u, err := s.st.GetUserByName(ctx, name)
	if err != nil {
		// Spend the same time as a real check so that names cannot be probed.
		_ = auth.CheckPassword(dummyHash, password)
		_, _ = s.audit.Record(ctx, name, "login.failed", name, remote, map[string]string{"reason": "unknown user"})
		return LoginResult{}, ErrBadCredentials
	}
	if now.Before(u.LockedUntil) {
		_, _ = s.audit.Record(ctx, name, "login.locked", name, remote, nil)
		return LoginResult{}, ErrLockedOut
	}
	if !u.DisabledAt.IsZero() || auth.CheckPassword(u.PasswordHash, password) != nil {
		u.FailedLogins++
		if u.FailedLogins >= maxFailedLogins {
			u.LockedUntil = now.Add(lockoutFor)
			u.FailedLogins = 0
		}
		_ = s.st.UpdateUser(ctx, u)
		_, _ = s.audit.Record(ctx, name, "login.failed", name, remote, map[string]string{"reason": "bad password"})
		return LoginResult{}, ErrBadCredentials
	}
	if u.FailedLogins != 0 {
		u.FailedLogins = 0
		_ = s.st.UpdateUser(ctx, u)
	}
	secret, err := auth.Secret("")
	if err != nil {
		return LoginResult{}, err
	}
	csrf, err := auth.Secret("")
	if err != nil {
		return LoginResult{}, err
	}
	sess := store.Session{Hash: auth.HashSecret(secret), UserID: u.ID, CSRF: csrf, CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.SessionTTL).UTC()}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return LoginResult{}, err
	}
	_, _ = s.audit.Record(ctx, name, "login", name, remote, nil)
	return LoginResult{Secret: secret, Session: sess, User: u}, nil
}

// dummyHash is a valid argon2id hash of a random password, used to equalise
// login timing for unknown users.
var dummyHash = func() string {
	h, _ := auth.HashPassword("medshield-dummy-password-for-timing")
	return h
}()

// SetSessionCookie writes the session cookie.
func SetSessionCookie(w http.ResponseWriter, secret string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

// Logout deletes a session.
func (s *Server) Logout(ctx context.Context, p *Principal, remote string) {
	if p.Session != nil {
		_ = s.st.DeleteSession(ctx, p.Session.Hash)
	}
	_, _ = s.audit.Record(ctx, p.User.Name, "logout", p.User.Name, remote, nil)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	res, err := s.Login(r.Context(), req.User, req.Password, RemoteIP(r))
	switch {
	case errors.Is(err, ErrRateLimited), errors.Is(err, ErrLockedOut):
		writeErr(w, http.StatusTooManyRequests, "rate_limited", "%v", err)
		return
	case err != nil:
		writeErr(w, http.StatusUnauthorized, "bad_credentials", "%v", ErrBadCredentials)
		return
	}
	SetSessionCookie(w, res.Secret, res.Session.ExpiresAt)
	writeJSON(w, http.StatusOK, map[string]any{"user": res.User.Name, "role": res.User.Role, "csrf_token": res.Session.CSRF, "expires": res.Session.ExpiresAt})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, p *Principal) {
	s.Logout(r.Context(), p, RemoteIP(r))
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, p *Principal) {
	out := map[string]any{"user": p.User.Name, "role": p.User.Role, "hospital": p.User.Organization}
	if p.Session != nil {
		out["csrf_token"] = p.Session.CSRF
	}
	writeJSON(w, http.StatusOK, out)
}
