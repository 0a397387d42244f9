package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/medshield/medshield/internal/agent"
	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/wire"
)

// findChromium returns a Chromium binary or "".
func findChromium() string {
	if p := os.Getenv("MEDSHIELD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestConsoleInRealBrowser logs in with headless Chromium, finds the agent
// on the hosts page, runs an event search and switches to Chinese.
func TestConsoleInRealBrowser(t *testing.T) {
	chrome := findChromium()
	if chrome == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium installed; CI must install Debian's chromium")
		}
		t.Skip("no Chromium installed (apt-get install chromium); skipping the browser test")
	}
	s := servertest.Start(t)
	state := t.TempDir()
	tok := s.CreateToken(t, "Hospital A", "ICU", 1, "1h")
	cfg, err := agent.Enroll(context.Background(), agent.EnrollOptions{Server: s.URL, Token: tok, CAFingerprint: s.Fingerprint, StateDir: state, HostName: "icu-workstation-07"})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := agent.ClientTLS(state)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 20 * time.Second}
	post := func(path, ctype, enc string, body []byte) {
		req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
	}
	hb, _ := json.Marshal(map[string]any{"version": "test", "os": "linux/amd64", "hostname": "icu-workstation-07", "uptime_sec": 5})
	post("/api/v1/agent/heartbeat", "application/json", "", hb)
	evs := make([]event.Event, 20)
	for i := range evs {
		evs[i] = event.New(event.KindEvent, "test", "logon")
		evs[i].Message = "user logon on ward terminal"
	}
	evs[7].Message = "powershell encoded command launched"
	body, _ := wire.Encode(evs)
	post("/api/v1/agent/events", wire.ContentType, wire.ContentEncoding, body)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(css(`input[name=user]`)),
		chromedp.SendKeys(css(`input[name=user]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), servertest.AdminPassword),
		chromedp.Click(css(`#login-button`)),
		chromedp.WaitVisible(css(`#hosts`)),
	)
	if err != nil {
		t.Fatalf("browser login: %v", err)
	}
	hostsHTML, err := chromedp.Run(ctx, chromedp.OuterHTML(css(`#hosts`)))
	if err != nil {
		t.Fatalf("browser hosts: %v", err)
	}
	shot(t, ctx, "hosts")
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/events"),
		chromedp.WaitVisible(css(`#event-search`)),
		chromedp.SendKeys(css(`input[name=q]`), "powershell"),
		chromedp.Submit(css(`#event-search`)),
		chromedp.WaitVisible(css(`#results`)),
	)
	if err != nil {
		t.Fatalf("browser search: %v", err)
	}
	// Submit navigates; wait until the new page shows the query.
	var resultsHTML string
	for i := 0; i < 50; i++ {
		resultsHTML, err = chromedp.Run(ctx, chromedp.OuterHTML(css(`#results`)))
		if err == nil && !strings.Contains(resultsHTML, "user logon on ward terminal") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	shot(t, ctx, "events")
	if err := chromedp.Do(ctx, chromedp.Click(css(`#lang-switch`))); err != nil {
		t.Fatalf("browser language switch: %v", err)
	}
	var title, langLink string
	for i := 0; i < 50; i++ {
		title, _ = chromedp.Run(ctx, chromedp.Title())
		if strings.Contains(title, "事件") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	shot(t, ctx, "events-zh")
	langLink, err = chromedp.Run(ctx, chromedp.Text(css(`#lang-switch`)))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(hostsHTML, "icu-workstation-07") || !strings.Contains(hostsHTML, "online") {
		t.Fatalf("hosts page does not show the online agent: %s", hostsHTML)
	}
	if !strings.Contains(resultsHTML, "powershell encoded command") || strings.Contains(resultsHTML, "user logon on ward terminal") {
		t.Fatalf("event search did not filter by text: %s", resultsHTML)
	}
	if !strings.Contains(title, "事件") || langLink != "English" {
		t.Fatalf("after switching language: title %q, switch %q", title, langLink)
	}
	_ = cfg
}

// shot saves a 1366x768 screenshot when MEDSHIELD_SCREENSHOT_DIR is set (to
// review the console at the smallest supported screen).
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("MEDSHIELD_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Logf("viewport: %v", err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Log(err)
	}
}
