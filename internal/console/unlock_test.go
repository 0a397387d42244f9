package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/server/servertest"
)

// TestUnlockCodeShownOnceNotInURL issues a stop code from the host page: it
// appears in the page, not in a redirect URL (browser history).
func TestUnlockCodeShownOnceNotInURL(t *testing.T) {
	s := servertest.Start(t)
	a := enrolHost(t, s)
	se := s.Login(t, "admin", servertest.AdminPassword)
	se.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := url.Values{"csrf": {se.CSRF}, "action": {"stop"}}
	resp, err := se.Client.PostForm(s.URL+"/hosts/"+a+"/unlock-code", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !regexp.MustCompile(`stop code: [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`).Match(body) {
		t.Fatalf("no code on the page: %s", strings.TrimSpace(string(body))[:200])
	}
}

func enrolHost(t *testing.T, s *servertest.Server) string {
	t.Helper()
	tok := s.CreateToken(t, "H", "D", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: t.TempDir(), HostName: "h"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.AgentID
}
