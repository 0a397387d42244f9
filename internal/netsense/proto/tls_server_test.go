package proto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// handshake runs a real crypto/tls handshake (TLS 1.2, so the certificate
// travels in clear) through a recording relay and returns both directions.
func handshake(t *testing.T) (toServer, toClient []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "pacs.hospital.example"},
		DNSNames: []string{"pacs.hospital.example"}, NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1800000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	c1, c2 := net.Pipe()
	s1, s2 := net.Pipe()
	var up, down bytes.Buffer
	var wg sync.WaitGroup
	relay := func(dst io.Writer, src io.Reader, rec *bytes.Buffer) {
		defer wg.Done()
		io.Copy(io.MultiWriter(dst, rec), src)
	}
	wg.Add(2)
	go relay(s1, c2, &up)
	go relay(c2, s1, &down)
	done := make(chan struct{})
	go func() {
		srv := tls.Server(s2, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12})
		srv.SetDeadline(time.Now().Add(5 * time.Second))
		srv.Handshake()
		close(done)
	}()
	cl := tls.Client(c1, &tls.Config{ServerName: "pacs.hospital.example", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	cl.SetDeadline(time.Now().Add(5 * time.Second))
	if err := cl.Handshake(); err != nil {
		t.Fatal(err)
	}
	<-done
	c1.Close()
	s2.Close()
	c2.Close()
	s1.Close()
	wg.Wait()
	return up.Bytes(), down.Bytes()
}

func TestTLSServerHelloAndCertificate(t *testing.T) {
	up, down := handshake(t)
	out := feed(AppTLS, up, ToClient, down[:30], down[30:])
	var sh *TLSServerHello
	var cert *TLSCertificate
	for _, r := range out {
		switch v := r.r.(type) {
		case *TLSServerHello:
			sh = v
		case *TLSCertificate:
			cert = v
		}
	}
	if sh == nil || sh.Version != tls.VersionTLS12 || sh.Cipher == 0 {
		t.Fatalf("server hello %+v", sh)
	}
	if cert == nil || cert.Subject != "pacs.hospital.example" || !cert.SelfSigned || cert.Chain != 1 ||
		cert.NotAfter.Unix() != 1800000000 || len(cert.DNSNames) != 1 {
		t.Fatalf("certificate %+v", cert)
	}
}
