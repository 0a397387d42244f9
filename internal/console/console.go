// Package console is medshield's web console: server-rendered html/template
// pages with embedded static assets (no front-end build), in English and
// Chinese (zh-CN), chosen by Accept-Language or a switch. It uses the
// server's own authentication, CSRF and admin operations, so the console can
// do nothing the API would refuse.
//
// cmd/medshield mounts it into the server; nothing else imports it.
package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the web console.
type Console struct {
	srv   *server.Server
	pages map[string]*template.Template
	log   *slog.Logger
	// ServerURL is shown in enrolment hints (for example https://host:8443).
	ServerURL string
}

// New returns the console for a server.
func New(srv *server.Server, serverURL string, log *slog.Logger) (*Console, error) {
	funcs := template.FuncMap{
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Local().Format("2006-01-02 15:04:05")
		},
		"sevClass": func(sev int) string {
			switch {
			case sev >= event.SeverityCritical:
				return "sev-critical"
			case sev >= event.SeverityHigh:
				return "sev-high"
			case sev >= event.SeverityMedium:
				return "sev-medium"
			}
			return ""
		},
	}
	c := &Console{srv: srv, pages: map[string]*template.Template{}, log: log.With("component", "console"), ServerURL: serverURL}
	for _, p := range []string{"login", "hosts", "host", "events", "tokens", "users", "audit", "posture"} {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		c.pages[p] = t
	}
	return c, nil
}

// Handler returns the console's routes.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.loginPost)
	mux.HandleFunc("GET /lang", c.setLang)
	mux.HandleFunc("POST /logout", c.auth(c.logout))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hosts", http.StatusSeeOther) })
	mux.HandleFunc("GET /hosts", c.auth(c.hosts))
	mux.HandleFunc("GET /hosts/{id}", c.auth(c.host))
	mux.HandleFunc("POST /hosts/{id}/revoke", c.auth(c.revokeHost))
	mux.HandleFunc("POST /hosts/{id}/command", c.auth(c.sendCommand))
	mux.HandleFunc("POST /hosts/{id}/unlock-code", c.auth(c.unlockCode))
	mux.HandleFunc("GET /events", c.auth(c.events))
	mux.HandleFunc("GET /alerts", c.auth(c.events))
	mux.HandleFunc("GET /tokens", c.auth(c.tokens))
	mux.HandleFunc("POST /tokens", c.auth(c.createToken))
	mux.HandleFunc("POST /tokens/{id}/revoke", c.auth(c.revokeToken))
	mux.HandleFunc("GET /users", c.auth(c.users))
	mux.HandleFunc("POST /users", c.auth(c.createUser))
	mux.HandleFunc("GET /audit", c.auth(c.audit))
	mux.HandleFunc("GET /posture", c.auth(c.posture))
	mux.HandleFunc("GET /posture/hosts/{id}", c.auth(c.postureHostPage))
	mux.HandleFunc("GET /posture/report", c.auth(c.postureReport))
	return mux
}

// view is what every template receives.
type view struct {
	Lang, Page, CSRF, Error, Notice string
	Back                            string // current page, for the language switch
	User                            *store.User
	CanCommand                      bool
	T                               func(string) string
	Data                            any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, p *server.Principal, page string, status int, v view) {
	v.Lang = pickLang(r)
	v.T = translator(v.Lang)
	v.Page = page
	v.Back = r.URL.RequestURI()
	if p != nil {
		v.User = &p.User
		v.CanCommand = p.User.Role == store.RoleAdmin || p.User.Role == store.RoleAnalyst
		if p.Session != nil {
			v.CSRF = p.Session.CSRF
		}
	}
	tmplName := page
	if page == "alerts" {
		tmplName = "events"
	}
	var buf bytes.Buffer
	if err := c.pages[tmplName].ExecuteTemplate(&buf, tmplName+".html", v); err != nil {
		c.log.Error("render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type handler func(http.ResponseWriter, *http.Request, *server.Principal)

// auth requires a logged-in console session and a valid CSRF token for
// POSTs; API keys are not accepted by the console.
func (c *Console) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := c.srv.Authenticate(r)
		if err != nil || p.Session == nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !server.CheckCSRF(p, r) {
				http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
				return
			}
		}
		h(w, r, p)
	}
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, "login", http.StatusOK, view{})
}

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	res, err := c.srv.Login(r.Context(), r.PostFormValue("user"), r.PostFormValue("password"), server.RemoteIP(r))
	if err != nil {
		msg := translator(pickLang(r))("bad_login")
		status := http.StatusUnauthorized
		if errors.Is(err, server.ErrRateLimited) || errors.Is(err, server.ErrLockedOut) {
			msg, status = err.Error(), http.StatusTooManyRequests
		}
		c.render(w, r, nil, "login", status, view{Error: msg})
		return
	}
	server.SetSessionCookie(w, res.Secret, res.Session.ExpiresAt)
	http.Redirect(w, r, "/hosts", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	c.srv.Logout(r.Context(), p, server.RemoteIP(r))
	http.SetCookie(w, &http.Cookie{Name: server.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if _, ok := messages[to]; ok {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: to, Path: "/", MaxAge: 365 * 24 * 3600, Secure: true, SameSite: http.SameSiteLaxMode})
	}
	// The page to return to comes as a parameter because the console sends
	// no Referer (Referrer-Policy: no-referrer). Only local paths are
	// accepted, so the switch cannot be used as an open redirect.
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") || strings.HasPrefix(back, "/lang") {
		back = "/hosts"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (c *Console) hosts(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	agents, err := c.srv.Store().ListAgents(r.Context(), p.Scope())
	if err != nil {
		c.fail(w, r, p, "hosts", err)
		return
	}
	hosts := make([]server.HostView, 0, len(agents))
	online := 0
	for _, a := range agents {
		v := c.srv.View(a)
		if v.Online {
			online++
		}
		hosts = append(hosts, v)
	}
	n, _ := c.srv.Store().CountEvents(r.Context(), store.EventQuery{Kind: event.KindAlert, Organization: p.Scope(), From: c.srv.Now().Add(-24 * time.Hour)})
	c.render(w, r, p, "hosts", http.StatusOK, view{Data: map[string]any{"Hosts": hosts, "Online": online, "Alerts24h": n}})
}

func (c *Console) scoped(r *http.Request, p *server.Principal) (store.Agent, error) {
	a, err := c.srv.Store().GetAgent(r.Context(), r.PathValue("id"))
	if err != nil {
		return a, err
	}
	if sc := p.Scope(); sc != "" && a.Organization != sc {
		return store.Agent{}, store.ErrNotFound
	}
	return a, nil
}

func (c *Console) host(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	c.hostPage(w, r, p, r.URL.Query().Get("notice"))
}

// hostPage renders a host with a notice (rendered, never put in a URL when
// it carries a secret such as an unlock code).
func (c *Console) hostPage(w http.ResponseWriter, r *http.Request, p *server.Principal, notice string) {
	a, err := c.scoped(r, p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	inv := ""
	if len(a.Inventory) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, a.Inventory, "", "  ") == nil {
			inv = buf.String()
		}
	}
	cmds := make([]string, 0, len(server.AgentCommands))
	for name := range server.AgentCommands {
		cmds = append(cmds, name)
	}
	sort.Strings(cmds)
	// Command results come back as events of dataset agent.command.
	res, _ := c.srv.Store().QueryEvents(r.Context(), store.EventQuery{HostID: a.ID, Fields: map[string]string{"event.dataset": "agent.command"}, Limit: 10})
	c.render(w, r, p, "host", http.StatusOK, view{Notice: notice, Data: map[string]any{
		"Host": c.srv.View(a), "Inventory": inv, "Commands": cmds, "Results": res.Events, "Baselines": c.baselines(r, a.ID)}})
}

func (c *Console) revokeHost(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	a, err := c.scoped(r, p)
	if err == nil {
		err = server.NewAdminFor(c.srv).RevokeAgent(r.Context(), p.Actor(r), a.ID)
	}
	if err != nil {
		c.fail(w, r, p, "hosts", err)
		return
	}
	http.Redirect(w, r, "/hosts/"+url.PathEscape(a.ID), http.StatusSeeOther)
}

func (c *Console) sendCommand(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin && p.User.Role != store.RoleAnalyst {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var args json.RawMessage
	if raw := strings.TrimSpace(r.PostFormValue("args")); raw != "" {
		if !json.Valid([]byte(raw)) || !strings.HasPrefix(raw, "{") {
			http.Error(w, "arguments must be a JSON object", http.StatusBadRequest)
			return
		}
		args = json.RawMessage(raw)
	}
	cmd, err := c.srv.SendCommand(r, p, r.PathValue("id"), r.PostFormValue("name"), args)
	if err != nil {
		c.fail(w, r, p, "hosts", err)
		return
	}
	http.Redirect(w, r, "/hosts/"+url.PathEscape(r.PathValue("id"))+"?notice="+url.QueryEscape("command "+cmd.Name+" queued ("+cmd.ID+")"), http.StatusSeeOther)
}

// baselineView is one policy's latest result for a host.
type baselineView struct {
	Name, Score      string
	Time             time.Time
	PassedN, FailedN any        // counts as decoded from JSON
	Failed           [][]string // id, title, controls, remediation
}

// baselines returns the latest result of each baseline policy of a host.
func (c *Console) baselines(r *http.Request, hostID string) []baselineView {
	page, err := c.srv.Store().QueryEvents(r.Context(), store.EventQuery{HostID: hostID, Kind: event.KindState,
		Fields: map[string]string{"event.dataset": "host.baseline"}, Limit: 20})
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []baselineView
	for _, ev := range page.Events { // newest first
		name, _ := ev.Fields["baseline.name"].(string)
		if seen[name] {
			continue
		}
		seen[name] = true
		bv := baselineView{Name: name, Time: ev.Timestamp, PassedN: ev.Fields["baseline.passed"], FailedN: ev.Fields["baseline.failed"]}
		bv.Score, _ = ev.Fields["baseline.score"].(string)
		if list, ok := ev.Fields["baseline.failed_checks"].([]any); ok {
			for _, item := range list {
				if line, ok := item.(string); ok {
					bv.Failed = append(bv.Failed, strings.SplitN(line, "\t", 4))
				}
			}
		}
		out = append(out, bv)
	}
	return out
}

func (c *Console) unlockCode(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	code, exp, err := c.srv.UnlockCode(r, p, r.PathValue("id"), r.PostFormValue("action"), time.Hour)
	if err != nil {
		c.fail(w, r, p, "hosts", err)
		return
	}
	notice := fmt.Sprintf("%s code: %s (valid until %s; medshield agent %s --code %s)", r.PostFormValue("action"), code,
		exp.Local().Format("15:04"), r.PostFormValue("action"), code)
	w.Header().Set("Referrer-Policy", "no-referrer")
	c.hostPage(w, r, p, notice)
}

func (c *Console) events(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	page := strings.TrimPrefix(r.URL.Path, "/")
	form := r.URL.Query()
	vals := url.Values{}
	for k, v := range form {
		vals[k] = v
	}
	// Field/value pair from the form becomes an exact field filter.
	if f, v := form.Get("field"), form.Get("value"); f != "" && v != "" {
		vals.Set("f."+f, v)
	}
	q, err := server.ParseEventQuery(vals, p.Scope())
	if err != nil {
		c.render(w, r, p, page, http.StatusBadRequest, view{Error: err.Error(), Data: eventsData(form, nil, "")})
		return
	}
	if page == "alerts" {
		q.Kind = event.KindAlert
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	res, err := c.srv.Store().QueryEvents(r.Context(), q)
	if err != nil {
		c.render(w, r, p, page, http.StatusBadRequest, view{Error: err.Error(), Data: eventsData(form, nil, "")})
		return
	}
	next := ""
	if res.Next != "" {
		nv := url.Values{}
		for k, v := range form {
			nv[k] = v
		}
		nv.Set("cursor", res.Next)
		next = "/" + page + "?" + nv.Encode()
	}
	c.render(w, r, p, page, http.StatusOK, view{Data: eventsData(form, res.Events, next)})
}

func eventsData(form url.Values, evs []event.Event, next string) map[string]any {
	q := map[string]string{}
	for _, k := range []string{"from", "to", "host", "hospital", "department", "kind", "severity", "rule", "q", "field", "value"} {
		q[k] = form.Get(k)
	}
	return map[string]any{"Q": q, "Events": evs, "Next": next, "Kinds": []string{event.KindEvent, event.KindAlert, event.KindState}}
}

func (c *Console) tokens(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	c.tokensPage(w, r, p, "", "")
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request, p *server.Principal, secret, errMsg string) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	toks, err := c.srv.Store().ListTokens(r.Context())
	if err != nil {
		c.fail(w, r, p, "tokens", err)
		return
	}
	status := http.StatusOK
	if errMsg != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, p, "tokens", status, view{Error: errMsg, Data: map[string]any{
		"Tokens": toks, "Secret": secret, "Fingerprint": c.srv.CAFingerprint(), "ServerURL": c.ServerURL}})
}

func (c *Console) createToken(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	uses, _ := strconv.Atoi(r.PostFormValue("uses"))
	secret, _, err := server.NewAdminFor(c.srv).CreateToken(r.Context(), p.Actor(r), server.TokenRequest{
		Hospital: r.PostFormValue("hospital"), Department: r.PostFormValue("department"), TTLText: r.PostFormValue("ttl"), Uses: uses})
	if err != nil {
		c.tokensPage(w, r, p, "", err.Error())
		return
	}
	c.tokensPage(w, r, p, secret, "")
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if err := server.NewAdminFor(c.srv).RevokeToken(r.Context(), p.Actor(r), r.PathValue("id")); err != nil {
		c.tokensPage(w, r, p, "", err.Error())
		return
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	c.usersPage(w, r, p, "", "")
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, p *server.Principal, notice, errMsg string) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	users, err := c.srv.Store().ListUsers(r.Context())
	if err != nil {
		c.fail(w, r, p, "users", err)
		return
	}
	status := http.StatusOK
	if errMsg != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, p, "users", status, view{Notice: notice, Error: errMsg, Data: map[string]any{"Users": users}})
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	u, err := server.NewAdminFor(c.srv).CreateUser(r.Context(), p.Actor(r), server.UserRequest{
		Name: r.PostFormValue("name"), Password: r.PostFormValue("password"), Role: r.PostFormValue("role"), Hospital: r.PostFormValue("hospital")})
	if err != nil {
		c.usersPage(w, r, p, "", err.Error())
		return
	}
	c.usersPage(w, r, p, "created "+u.Name, "")
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, p *server.Principal) {
	if p.User.Role != store.RoleAdmin && p.User.Role != store.RoleAuditor {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	recs, err := c.srv.Store().ListAudit(r.Context(), after, 100)
	if err != nil {
		c.fail(w, r, p, "audit", err)
		return
	}
	next := ""
	if len(recs) == 100 {
		next = "/audit?after=" + strconv.FormatInt(recs[len(recs)-1].Seq, 10)
	}
	c.render(w, r, p, "audit", http.StatusOK, view{Data: map[string]any{"Records": recs, "Next": next}})
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *server.Principal, page string, err error) {
	c.log.Warn("console request failed", "page", page, "err", err)
	status := http.StatusInternalServerError
	if errors.Is(err, store.ErrNotFound) {
		status = http.StatusNotFound
	}
	http.Error(w, http.StatusText(status)+": "+err.Error(), status)
}
