package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/pki"
)

// EnrollOptions configures Enroll.
type EnrollOptions struct {
	Server        string // https://host:port
	Token         string
	CAFingerprint string // hex SHA-256 of the server's CA certificate
	StateDir      string
	HostName      string // default os.Hostname
	Version       string
}

// Enroll generates a key on this host, sends a CSR with the enrolment token
// and stores the signed certificate. The server is trusted only if it
// presents a chain anchored in a CA whose fingerprint equals CAFingerprint,
// so the first contact is safe without a pre-installed CA file.
func Enroll(ctx context.Context, o EnrollOptions) (Config, error) {
	u, err := url.Parse(o.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return Config{}, fmt.Errorf("server must be an https:// URL, got %q", o.Server)
	}
	fp := pki.NormalizeFingerprint(o.CAFingerprint)
	if len(fp) != 64 {
		return Config{}, errors.New("ca fingerprint must be 64 hex digits (SHA-256), as printed by 'medshield up' or 'medshield server'")
	}
	if o.Token == "" {
		return Config{}, errors.New("an enrolment token is required")
	}
	if o.HostName == "" {
		if o.HostName, err = os.Hostname(); err != nil {
			return Config{}, err
		}
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return Config{}, fmt.Errorf("state directory: %w", err)
	}
	key, csr, err := pki.NewCSR(o.HostName)
	if err != nil {
		return Config{}, err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pinnedTLS(fp, u.Hostname())}}
	body, _ := json.Marshal(map[string]string{
		"token": o.Token, "csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})),
		"hostname": o.HostName, "version": o.Version, "os": runtime.GOOS + "/" + runtime.GOARCH,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.Server, "/")+"/api/v1/enroll", bytes.NewReader(body))
	if err != nil {
		return Config{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Config{}, fmt.Errorf("enrol: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("enrol: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		return Config{}, fmt.Errorf("enrol refused by server (%s): %s", resp.Status, e.Error)
	}
	var er struct {
		AgentID     string `json:"agent_id"`
		Certificate string `json:"certificate"`
		CA          string `json:"ca"`
		Hospital    string `json:"hospital"`
		Department  string `json:"department"`
		Tamper      string `json:"tamper_secret"`
	}
	if err := json.Unmarshal(b, &er); err != nil {
		return Config{}, fmt.Errorf("enrol: bad answer: %w", err)
	}
	caBlk, _ := pem.Decode([]byte(er.CA))
	if caBlk == nil || pki.Fingerprint(caBlk.Bytes) != fp {
		return Config{}, errors.New("enrol: the CA returned by the server does not match the pinned fingerprint")
	}
	certBlk, _ := pem.Decode([]byte(er.Certificate))
	if certBlk == nil {
		return Config{}, errors.New("enrol: no certificate in the answer")
	}
	cert, err := x509.ParseCertificate(certBlk.Bytes)
	if err != nil {
		return Config{}, fmt.Errorf("enrol: certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caBlk.Bytes)
	if err != nil || cert.CheckSignatureFrom(caCert) != nil {
		return Config{}, errors.New("enrol: certificate not signed by the pinned CA")
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return Config{}, err
	}
	if err := pki.WriteFile(filepath.Join(o.StateDir, keyFile), keyPEM, 0o600); err != nil {
		return Config{}, err
	}
	if err := pki.WriteFile(filepath.Join(o.StateDir, certFile), []byte(er.Certificate), 0o644); err != nil {
		return Config{}, err
	}
	if err := pki.WriteFile(filepath.Join(o.StateDir, caFile), []byte(er.CA), 0o644); err != nil {
		return Config{}, err
	}
	if er.Tamper != "" {
		if err := pki.WriteFile(filepath.Join(o.StateDir, tamperFile), []byte(er.Tamper+"\n"), 0o600); err != nil {
			return Config{}, err
		}
	}
	c := Config{Server: strings.TrimRight(o.Server, "/"), AgentID: er.AgentID, Hospital: er.Hospital, Department: er.Department,
		CAFingerprint: fp, HostName: o.HostName, EnrolledAt: time.Now().UTC()}
	return c, saveConfig(o.StateDir, c)
}

// pinnedTLS trusts a server only through a CA with the given fingerprint,
// which the server sends after its leaf certificate.
func pinnedTLS(fp, serverName string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pinned verification below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) < 2 {
				return errors.New("server did not present its CA certificate")
			}
			var ca *x509.Certificate
			for _, c := range cs.PeerCertificates[1:] {
				if pki.Fingerprint(c.Raw) == fp {
					ca = c
				}
			}
			if ca == nil {
				return errors.New("server CA does not match the pinned fingerprint")
			}
			pool := x509.NewCertPool()
			pool.AddCert(ca)
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: serverName})
			if err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
			return nil
		},
	}
}
