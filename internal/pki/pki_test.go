package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"
)

func TestCALifecycle(t *testing.T) {
	dir := t.TempDir()
	ca, created, err := LoadOrCreateCA(dir)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	st, err := os.Stat(filepath.Join(dir, "ca.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode %v %v", st.Mode(), err)
	}
	again, created, err := LoadOrCreateCA(dir)
	if err != nil || created || again.Fingerprint() != ca.Fingerprint() {
		t.Fatalf("reload: %v %v", created, err)
	}
	cert, err := ca.ServerCert(dir, []string{"soc.hospital.example", "10.1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	for _, name := range []string{"localhost", "127.0.0.1", "soc.hospital.example", "10.1.2.3"} {
		if leaf.VerifyHostname(name) != nil {
			t.Errorf("server certificate does not cover %s", name)
		}
	}
	if len(cert.Certificate) != 2 || Fingerprint(cert.Certificate[1]) != ca.Fingerprint() {
		t.Fatal("server chain does not carry the CA for pinning")
	}
	// A new name forces a new certificate.
	cert2, err := ca.ServerCert(dir, []string{"other.example"})
	if err != nil {
		t.Fatal(err)
	}
	leaf2, _ := x509.ParseCertificate(cert2.Certificate[0])
	if leaf2.VerifyHostname("other.example") != nil {
		t.Fatal("certificate not reissued for a new name")
	}
}

func TestSignAgentBindsIdentityFromServer(t *testing.T) {
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	_, csr, err := NewCSR("claimed-name")
	if err != nil {
		t.Fatal(err)
	}
	der, serial, err := ca.SignAgent(csr, "agent-123", "Hospital A", "ICU")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	if c.Subject.CommonName != "agent-123" || c.Subject.Organization[0] != "Hospital A" || c.Subject.OrganizationalUnit[0] != "ICU" {
		t.Fatalf("subject %v", c.Subject)
	}
	if SerialHex(c.SerialNumber) != serial || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatal("serial or usage")
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	// Garbage, RSA and small-curve CSRs are refused.
	if _, _, err := ca.SignAgent([]byte("garbage"), "a", "", ""); err == nil {
		t.Fatal("garbage CSR signed")
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	rcsr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, rk)
	if _, _, err := ca.SignAgent(rcsr, "a", "", ""); err == nil {
		t.Fatal("RSA CSR signed")
	}
	sk, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	scsr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, sk)
	if _, _, err := ca.SignAgent(scsr, "a", "", ""); err == nil {
		t.Fatal("P-224 CSR signed")
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	if NormalizeFingerprint(" SHA256:AB:cd:EF ") != "abcdef" {
		t.Fatal(NormalizeFingerprint(" SHA256:AB:cd:EF "))
	}
}
