package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/auth"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/pki"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/wire"
)

// enrolled is an agent enrolled with a test server.
type enrolled struct {
	cfg    agent.Config
	client *http.Client
	state  string
}

func enroll(t *testing.T, s *servertest.Server, token string) enrolled {
	t.Helper()
	state := t.TempDir()
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{
		Server: s.URL, Token: token, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "ward-pc-1", Version: "test",
	})
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	return enrolled{cfg: cfg, state: state, client: clientFor(t, state)}
}

func clientFor(tb testing.TB, state string) *http.Client {
	tc, err := agent.ClientTLS(state)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: 4}}
}

func enrollClient(tb testing.TB, s *servertest.Server, token, state string) *http.Client {
	tb.Helper()
	_, err := agent.Enroll(context.Background(), agent.EnrollOptions{
		Server: s.URL, Token: token, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "bench", Version: "test",
	})
	if err != nil {
		tb.Fatalf("enroll: %v", err)
	}
	return clientFor(tb, state)
}

func postBatchB(c *http.Client, url string, body []byte) (int, []byte) {
	req, _ := http.NewRequest("POST", url+"/api/v1/agent/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentType)
	req.Header.Set("Content-Encoding", wire.ContentEncoding)
	resp, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func makeEvents(n, offset int) []event.Event {
	evs := make([]event.Event, n)
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := range evs {
		k := offset + i
		ev := event.New(event.KindEvent, "test.synthetic", "process_start")
		ev.Timestamp = base.Add(time.Duration(k) * time.Millisecond)
		ev.Message = fmt.Sprintf("synthetic event %d", k)
		ev.Process = &event.Process{PID: 1000 + k, Name: "notepad.exe"}
		if k%100 == 0 {
			ev.Process.Name = "mimikatz.exe"
		}
		// A claim the server must overwrite with the enrolment identity.
		ev.Organization = "Forged Hospital"
		evs[i] = ev
	}
	return evs
}

func postBatch(t *testing.T, c *http.Client, url string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/agent/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentType)
	req.Header.Set("Content-Encoding", wire.ContentEncoding)
	resp, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func count(t *testing.T, st store.Store, q store.EventQuery) int64 {
	t.Helper()
	n, err := st.CountEvents(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEndToEndEnrolIngestQueryRevoke(t *testing.T) {
	s := servertest.Start(t)
	tok := s.CreateToken(t, "People's Hospital No. 1", "Radiology", 1, "1h")
	a := enroll(t, s, tok)
	if a.cfg.Hospital != "People's Hospital No. 1" || a.cfg.Department != "Radiology" {
		t.Fatalf("enrolment scope = %q/%q", a.cfg.Hospital, a.cfg.Department)
	}

	const total, batch = 10000, 1000
	all := makeEvents(total, 0)
	accepted := 0
	for i := 0; i < total; i += batch {
		body, err := wire.Encode(all[i : i+batch])
		if err != nil {
			t.Fatal(err)
		}
		code, resp := postBatch(t, a.client, s.URL, body)
		if code != 200 {
			t.Fatalf("batch %d: %d %s", i/batch, code, resp)
		}
		var ack server.IngestAck
		if err := json.Unmarshal(resp, &ack); err != nil {
			t.Fatal(err)
		}
		accepted += ack.Accepted
	}
	if accepted != total {
		t.Fatalf("accepted %d, want %d", accepted, total)
	}
	// Re-sending a batch (a retry after a lost ack) stores nothing new.
	body, _ := wire.Encode(all[:batch])
	code, resp := postBatch(t, a.client, s.URL, body)
	var ack server.IngestAck
	_ = json.Unmarshal(resp, &ack)
	if code != 200 || ack.Accepted != 0 || ack.Duplicates != batch {
		t.Fatalf("retry: %d %+v", code, ack)
	}

	se := s.Login(t, "admin", servertest.AdminPassword)
	// Query back by host, paging with the cursor.
	seen := map[string]bool{}
	next := ""
	for {
		var page struct {
			Events []event.Event `json:"events"`
			Next   string        `json:"next"`
		}
		path := "/api/v1/events?limit=1000&host=" + a.cfg.AgentID
		if next != "" {
			path += "&cursor=" + url.QueryEscape(next)
		}
		if code := se.Do(t, "GET", path, nil, &page); code != 200 {
			t.Fatalf("query: %d", code)
		}
		for _, ev := range page.Events {
			if seen[ev.ID] {
				t.Fatalf("event %s returned twice", ev.ID)
			}
			seen[ev.ID] = true
			if ev.Organization != "People's Hospital No. 1" || ev.AgentID != a.cfg.AgentID {
				t.Fatalf("identity not stamped by server: %+v", ev)
			}
		}
		if page.Next == "" {
			break
		}
		next = page.Next
	}
	if len(seen) != total {
		t.Fatalf("query by host returned %d events, want %d", len(seen), total)
	}
	// Query by an ECS field.
	var page struct {
		Events []event.Event `json:"events"`
	}
	if code := se.Do(t, "GET", "/api/v1/events?limit=1000&f.process.name=mimikatz.exe", nil, &page); code != 200 {
		t.Fatalf("field query: %d", code)
	}
	if len(page.Events) != total/100 {
		t.Fatalf("field query returned %d, want %d", len(page.Events), total/100)
	}
	for _, ev := range page.Events {
		if ev.Process == nil || ev.Process.Name != "mimikatz.exe" {
			t.Fatalf("field query returned %+v", ev.Process)
		}
	}

	// Revoke: the very next upload is refused, without a restart.
	if code := se.Do(t, "POST", "/api/v1/hosts/"+a.cfg.AgentID+"/revoke", nil, nil); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	more, _ := wire.Encode(makeEvents(10, total))
	if code, resp := postBatch(t, a.client, s.URL, more); code != http.StatusForbidden {
		t.Fatalf("upload after revoke: %d %s", code, resp)
	}
	if n := count(t, s.Store, store.EventQuery{}); n != total {
		t.Fatalf("stored %d events, want %d", n, total)
	}
}

func TestUnauthenticatedAndWrongCAClientsRefused(t *testing.T) {
	s := servertest.Start(t)
	body, _ := wire.Encode(makeEvents(5, 0))

	// No client certificate.
	if code, _ := postBatch(t, s.Client(), s.URL, body); code != http.StatusUnauthorized {
		t.Fatalf("no client cert: %d, want 401", code)
	}
	// A client certificate from another CA: the TLS handshake fails.
	other, err := pki.NewCA("attacker CA")
	if err != nil {
		t.Fatal(err)
	}
	key, csr, _ := pki.NewCSR("evil")
	der, _, err := other.SignAgent(csr, "00000000-0000-7000-8000-000000000000", "H", "D")
	if err != nil {
		t.Fatal(err)
	}
	// GetClientCertificate forces sending the certificate even though the
	// server does not list its CA as acceptable.
	bad := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: s.RootPool(), GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
		}}}}
	if code, msg := postBatch(t, bad, s.URL, body); code != 0 {
		t.Fatalf("wrong-CA client got HTTP %d (%s), want a TLS failure", code, msg)
	}
	// Console API without a session.
	resp, err := s.Client().Get(s.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("events without login: %d", resp.StatusCode)
	}
	if n := count(t, s.Store, store.EventQuery{}); n != 0 {
		t.Fatalf("stored %d events from refused clients", n)
	}
}

func TestEnrolmentTokensRefused(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	tryEnroll := func(tok string) error {
		_, err := agent.Enroll(ctx, agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: t.TempDir(), HostName: "h"})
		return err
	}
	// Used up: one use only.
	once := s.CreateToken(t, "H", "D", 1, "1h")
	if err := tryEnroll(once); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := tryEnroll(once); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("second use of a one-use token: %v", err)
	}
	// Expired: created with a clock two days in the past.
	adm := server.NewAdmin(s.Store)
	adm.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	expired, _, err := adm.CreateToken(ctx, server.Actor{Name: "test"}, server.TokenRequest{Hospital: "H", TTL: time.Hour, Uses: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := tryEnroll(expired); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("expired token: %v", err)
	}
	// Revoked.
	secret, tok, err := server.NewAdmin(s.Store).CreateToken(ctx, server.Actor{Name: "test"}, server.TokenRequest{Hospital: "H", TTL: time.Hour, Uses: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := server.NewAdmin(s.Store).RevokeToken(ctx, server.Actor{Name: "test"}, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := tryEnroll(secret); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("revoked token: %v", err)
	}
	// Unknown.
	if err := tryEnroll("mset_not-a-real-token"); err == nil {
		t.Fatal("unknown token accepted")
	}
	// Wrong pinned fingerprint: the agent refuses the server.
	good := s.CreateToken(t, "H", "D", 1, "1h")
	_, err = agent.Enroll(ctx, agent.EnrollOptions{Server: s.URL, Token: good, CAFingerprint: strings.Repeat("ab", 32), StateDir: t.TempDir(), HostName: "h"})
	if err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("wrong fingerprint: %v", err)
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestBadBatchesRefusedWhole(t *testing.T) {
	s := servertest.Start(t)
	a := enroll(t, s, s.CreateToken(t, "H", "D", 1, "1h"))
	good := makeEvents(3, 0)
	line := func(ev event.Event) string { b, _ := json.Marshal(ev); return string(b) }
	invalid := good[1]
	invalid.ID = "not-a-uuid"
	tooMany := makeEvents(10001, 0)
	tooManyBody, _ := wire.Encode(tooMany)
	cases := []struct {
		name string
		body []byte
		want int
	}{
		{"gzip bomb", gz(make([]byte, 200<<20)), http.StatusRequestEntityTooLarge},
		{"too many events", tooManyBody, http.StatusRequestEntityTooLarge},
		{"malformed JSON", gz([]byte(line(good[0]) + "\n{\"@timestamp\": \n")), http.StatusBadRequest},
		{"invalid event field", gz([]byte(line(good[0]) + "\n" + line(invalid) + "\n")), http.StatusBadRequest},
		{"not gzip", []byte("plain text"), http.StatusBadRequest},
		{"oversized body", bytes.Repeat([]byte{1}, 9<<20), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := postBatch(t, a.client, s.URL, tc.body)
			if code != tc.want && !(tc.want == http.StatusRequestEntityTooLarge && code == http.StatusBadRequest) {
				t.Fatalf("status %d (%s), want %d", code, msg, tc.want)
			}
			if code/100 != 4 {
				t.Fatalf("status %d is not a 4xx", code)
			}
			var rej wire.Rejection
			if err := json.Unmarshal(msg, &rej); err != nil || rej.Reason == "" {
				t.Fatalf("no reason in %s", msg)
			}
		})
	}
	if n := count(t, s.Store, store.EventQuery{}); n != 0 {
		t.Fatalf("%d events stored from bad batches", n)
	}
}

func TestLoginLockoutAndCSRF(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	login := func(pw string) int {
		b, _ := json.Marshal(map[string]string{"user": "admin", "password": pw})
		resp, err := c.Post(s.URL+"/api/v1/login", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	codes := []int{}
	for i := 0; i < 7; i++ {
		codes = append(codes, login("wrong password"))
	}
	if codes[0] != http.StatusUnauthorized || codes[len(codes)-1] != http.StatusTooManyRequests {
		t.Fatalf("login codes %v: want 401 first and 429 once rate limited", codes)
	}
	// The account is rate limited now; CSRF and cookies are checked on a
	// fresh server.
	s = servertest.Start(t)
	// CSRF: a session without the token cannot change state.
	se := s.Login(t, "admin", servertest.AdminPassword)
	se.CSRF = "wrong"
	if code := se.Do(t, "POST", "/api/v1/tokens", map[string]any{"hospital": "H"}, nil); code != http.StatusForbidden {
		t.Fatalf("POST without CSRF: %d", code)
	}
	// Session cookie flags.
	b, _ := json.Marshal(map[string]string{"user": "admin", "password": servertest.AdminPassword})
	resp, err := s.Client().Post(s.URL+"/api/v1/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ck := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(ck, want) {
			t.Fatalf("session cookie %q lacks %s", ck, want)
		}
	}
}

func TestRolesAndViewerScope(t *testing.T) {
	s := servertest.Start(t)
	ctx := context.Background()
	adm := server.NewAdmin(s.Store)
	for _, u := range []server.UserRequest{
		{Name: "ana", Password: "Analyst-Pass-123", Role: store.RoleAnalyst},
		{Name: "vic", Password: "Viewer-Pass-1234", Role: store.RoleViewer, Hospital: "H2"},
	} {
		if _, err := adm.CreateUser(ctx, server.Actor{Name: "test"}, u); err != nil {
			t.Fatal(err)
		}
	}
	a1 := enroll(t, s, s.CreateToken(t, "H1", "ICU", 1, "1h"))
	a2 := enroll(t, s, s.CreateToken(t, "H2", "Lab", 1, "1h"))
	_ = a1
	ana := s.Login(t, "ana", "Analyst-Pass-123")
	if code := ana.Do(t, "POST", "/api/v1/tokens", map[string]any{"hospital": "H"}, nil); code != http.StatusForbidden {
		t.Fatalf("analyst created a token: %d", code)
	}
	vic := s.Login(t, "vic", "Viewer-Pass-1234")
	var hosts struct {
		Hosts []server.HostView `json:"hosts"`
	}
	vic.Do(t, "GET", "/api/v1/hosts", nil, &hosts)
	if len(hosts.Hosts) != 1 || hosts.Hosts[0].ID != a2.cfg.AgentID {
		t.Fatalf("viewer of H2 sees %+v", hosts.Hosts)
	}
	if code := vic.Do(t, "GET", "/api/v1/hosts/"+a1.cfg.AgentID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("viewer of H2 reads a host of H1: %d", code)
	}
	if code := vic.Do(t, "GET", "/api/v1/audit", nil, nil); code != http.StatusForbidden {
		t.Fatalf("viewer reads the audit log: %d", code)
	}
}

func TestPasswordsAreHashed(t *testing.T) {
	s := servertest.Start(t)
	u, err := s.Store.GetUserByName(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.PasswordHash, servertest.AdminPassword) || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("password stored as %q", u.PasswordHash)
	}
	if auth.CheckPassword(u.PasswordHash, servertest.AdminPassword) != nil {
		t.Fatal("hash does not verify")
	}
}
