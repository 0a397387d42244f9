package pe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/medshield/medshield/internal/yara/module"
)

// testCert is a certificate made for the signature tests.
type testCert struct {
	der       []byte
	cert      *x509.Certificate
	key       *ecdsa.PrivateKey
	notBefore time.Time
	notAfter  time.Time
}

func makeCert(t testing.TB, subject pkix.Name, serial int64, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nb := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	na := time.Date(2051, 6, 7, 8, 9, 10, 0, time.UTC) // GeneralizedTime after 2049
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: nb, NotAfter: na, IsCA: parent == nil, BasicConstraintsValid: true,
		SignatureAlgorithm: x509.ECDSAWithSHA256,
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{der: der, cert: c, key: key, notBefore: nb, notAfter: na}
}

var (
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSPCIndirect = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}
)

// signedData builds a PKCS#7 ContentInfo with the given certificates and
// one signer (identified by issuer and serial); nested, when not nil, goes
// into the signer's nested-signature attribute. The signature bytes are
// not a real signature: YARA does not verify them.
func signedData(certs []*testCert, signer *testCert, nested []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSPCIndirect) })
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					for _, c := range certs {
						b.AddBytes(c.der)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(signer.cert.RawIssuer)
							b.AddASN1BigInt(signer.cert.SerialNumber)
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidECDSASHA256) })
						b.AddASN1OctetString([]byte("not a real signature"))
						if nested != nil {
							b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddASN1ObjectIdentifier(oidNestedSignature)
									b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(nested) })
								})
							})
						}
					})
				})
			})
		})
	})
	return b.BytesOrPanic()
}

// signedPE returns a generated PE with an Authenticode-style certificate
// table: an outer signature by leaf (issued by ca) with a nested signature
// by leaf2. It also returns the certificates for the expectations.
func signedPE(t testing.TB) ([]byte, *testCert, *testCert, *testCert) {
	ca := makeCert(t, pkix.Name{Country: []string{"CN"}, Organization: []string{"Medshield Test"}, CommonName: "Test CA"}, 1, nil)
	leaf := makeCert(t, pkix.Name{Country: []string{"CN"}, Organization: []string{"Medshield Test"}, CommonName: "Test Signer"}, 0x0102030405, ca)
	leaf2 := makeCert(t, pkix.Name{Country: []string{"CN"}, Province: []string{"Beijing"}, CommonName: "Nested Signer"}, 0xff, ca)
	nested := signedData([]*testCert{leaf2, ca}, leaf2, nil)
	outer := signedData([]*testCert{ca, leaf}, leaf, nested)
	data := buildPE(testSpec)
	for len(data)%8 != 0 {
		data = append(data, 0)
	}
	table := len(data)
	wc := make([]byte, 8, 8+len(outer)+8)
	wc = append(wc, outer...)
	for len(wc)%8 != 0 {
		wc = append(wc, 0)
	}
	buf(wc).u32(0, uint32(8+len(outer)))
	buf(wc).u16(4, 0x200)
	buf(wc).u16(6, 2)
	data = append(data, wc...)
	dd := 0x100 + 24 + 96 // PE32 data directories
	buf(data).u32(dd+4*8, uint32(table))
	buf(data).u32(dd+4*8+4, uint32(len(wc)))
	return data, ca, leaf, leaf2
}

// countSignatures parses one ContentInfo as the certificate table would.
func countSignatures(der []byte) int {
	var sigs module.Value
	n := 0
	parsePKCS7(cryptobyte.String(der), &sigs, &n)
	return n
}

func TestSignatures(t *testing.T) {
	data, _, leaf, leaf2 := signedPE(t)
	v := load(t, data)
	wantInt(t, "number_of_signatures", v.Get("number_of_signatures"), 2)
	for i, c := range []*testCert{leaf, leaf2} {
		p := func(f string) string { return "signatures[" + string(rune('0'+i)) + "]." + f }
		sum := sha1.Sum(c.der)
		wantStr(t, p("thumbprint"), get(v, p("thumbprint")), hex.EncodeToString(sum[:]))
		wantStr(t, p("issuer"), get(v, p("issuer")), "/C=CN/O=Medshield Test/CN=Test CA")
		wantInt(t, p("version"), get(v, p("version")), 3)
		wantStr(t, p("algorithm"), get(v, p("algorithm")), "ecdsa-with-SHA256")
		wantStr(t, p("algorithm_oid"), get(v, p("algorithm_oid")), "1.2.840.10045.4.3.2")
		wantInt(t, p("not_before"), get(v, p("not_before")), c.notBefore.Unix())
		wantInt(t, p("not_after"), get(v, p("not_after")), c.notAfter.Unix())
		sig := get(v, "signatures["+string(rune('0'+i))+"]")
		wantInt(t, p("valid_on(2030)"), call(t, v, "signatures["+string(rune('0'+i))+"].valid_on", "i", I(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix())), 1)
		wantInt(t, p("valid_on(2000)"), validOn(nil, &sig, args{I(946684800)}), 0)
	}
	wantStr(t, "signatures[0].subject", get(v, "signatures[0].subject"), "/C=CN/O=Medshield Test/CN=Test Signer")
	wantStr(t, "signatures[1].subject", get(v, "signatures[1].subject"), "/C=CN/ST=Beijing/CN=Nested Signer")
	wantStr(t, "signatures[0].serial", get(v, "signatures[0].serial"), "01:02:03:04:05")
	wantStr(t, "signatures[1].serial", get(v, "signatures[1].serial"), "00:ff") // DER keeps the sign byte

	// Without its signer's certificate a SignedData yields nothing, not even
	// its nested signature (OpenSSL's PKCS7_get0_signers fails first).
	ca := makeCert(t, pkix.Name{CommonName: "CA"}, 1, nil)
	orphan := makeCert(t, pkix.Name{CommonName: "Orphan"}, 2, ca)
	inner := signedData([]*testCert{orphan}, orphan, nil)
	bad := signedData([]*testCert{ca}, orphan, inner)
	wantInt(t, "signatures without the signer certificate", module.Int(int64(countSignatures(bad))), 0)
	wantInt(t, "signatures of the inner SignedData", module.Int(int64(countSignatures(inner))), 1)
}
