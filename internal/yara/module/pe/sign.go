package pe

import (
	"bytes"
	"crypto/sha1"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/medshield/medshield/internal/yara/module"
)

// Authenticode signatures, as YARA 4.2.3 built with OpenSSL reports them:
// for each PKCS#7 SignedData in the security directory (and, recursively,
// in the nested-signature attribute of its first signer), the certificates
// of its signers, at most 16 in all. DER only (OpenSSL also reads BER).

var (
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidNestedSignature = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 4, 1}
)

func (p *parsed) parseCertificates(o obj) {
	f := p.f
	dir := f.directory(dirSecurity)
	if dir < 0 {
		return
	}
	o.setInt("number_of_signatures", 0)
	va, size := f.u32(dir), f.u32(dir+4)
	if va == 0 || int64(va) > f.size() || int64(size) > f.size() || int64(va+size) > f.size() {
		return // va+size wraps in 32 bits, as in YARA
	}
	eod := int64(va) + int64(size)
	sigs := o["signatures"]
	counter := 0
	for wc := int64(va); f.fits(wc, 8); {
		length := int64(f.u32(wc))
		if length <= 8 || !f.fits(wc, length) || wc+8 >= eod || wc+length > eod {
			break
		}
		rev, typ := f.u16(wc+4), f.u16(wc+6)
		if rev != 0x100 && rev != 0x200 {
			break
		}
		end := wc + length
		if rev == 0x200 && typ == 2 {
			blob := f.data[wc+8 : end]
			for len(blob) > 0 && counter < maxCerts {
				var one cryptobyte.String
				s := cryptobyte.String(blob)
				if !s.ReadASN1Element(&one, cbasn1.SEQUENCE) {
					break
				}
				blob = s
				parsePKCS7(one, &sigs, &counter)
			}
		}
		wc = (end + 7) &^ 7
	}
	o["signatures"] = sigs
	o.setInt("number_of_signatures", int64(counter))
}

type signer struct {
	issuer []byte // DER of the Name
	serial []byte // INTEGER content
}

// parsePKCS7 records the signer certificates of one ContentInfo.
func parsePKCS7(der cryptobyte.String, sigs *module.Value, counter *int) {
	if *counter >= maxCerts {
		return
	}
	var ci, content, sd cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !der.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ctype) || !ctype.Equal(oidSignedData) ||
		!ci.ReadASN1(&content, cbasn1.Tag(0).ContextSpecific().Constructed()) || !content.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return
	}
	var certs cryptobyte.String
	var hasCerts bool
	var signerInfos cryptobyte.String
	if !sd.SkipASN1(cbasn1.INTEGER) || !sd.SkipASN1(cbasn1.SET) || !sd.SkipASN1(cbasn1.SEQUENCE) ||
		!sd.ReadOptionalASN1(&certs, &hasCerts, cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!sd.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific().Constructed()) ||
		!sd.ReadASN1(&signerInfos, cbasn1.SET) {
		return
	}
	var signers []signer
	var firstUnauth cryptobyte.String
	for i := 0; !signerInfos.Empty(); i++ {
		var si, ias, issuer, serial cryptobyte.String
		if !signerInfos.ReadASN1(&si, cbasn1.SEQUENCE) || !si.SkipASN1(cbasn1.INTEGER) ||
			!si.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
			!ias.ReadASN1(&serial, cbasn1.INTEGER) {
			return
		}
		signers = append(signers, signer{issuer: issuer, serial: serial})
		if i == 0 {
			var unauth cryptobyte.String
			var has bool
			if si.SkipASN1(cbasn1.SEQUENCE) &&
				si.SkipOptionalASN1(cbasn1.Tag(0).ContextSpecific().Constructed()) &&
				si.SkipASN1(cbasn1.SEQUENCE) && si.SkipASN1(cbasn1.OCTET_STRING) &&
				si.ReadOptionalASN1(&unauth, &has, cbasn1.Tag(1).ContextSpecific().Constructed()) && has {
				firstUnauth = unauth
			}
		}
	}
	// PKCS7_get0_signers: every signer's certificate must be present.
	if len(signers) == 0 {
		return
	}
	var found [][]byte
	for _, s := range signers {
		c := findCert(certs, s)
		if c == nil {
			return
		}
		found = append(found, c)
	}
	for _, c := range found {
		if *counter >= maxCerts {
			break
		}
		if v, ok := certValue(c); ok {
			sigs.Items = append(sigs.Items, v)
			*counter++
		}
	}
	// Nested signatures: the first attribute of that type, up to 16 values.
	for !firstUnauth.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !firstUnauth.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, cbasn1.SET) {
			return
		}
		if !oid.Equal(oidNestedSignature) {
			continue
		}
		for j := 0; j < maxCerts && !values.Empty(); j++ {
			var nested cryptobyte.String
			if !values.ReadASN1Element(&nested, cbasn1.SEQUENCE) {
				break
			}
			parsePKCS7(nested, sigs, counter)
		}
		return
	}
}

// certParts splits a certificate into the pieces YARA reports.
type certParts struct {
	version                 int64
	serial, issuer, subject []byte
	notBefore, notAfter     cryptobyte.String
	nbTag, naTag            cbasn1.Tag
	sigAlg                  asn1.ObjectIdentifier
}

func splitCert(der []byte) (certParts, bool) {
	var c certParts
	var cert, tbs, algo, validity cryptobyte.String
	s := cryptobyte.String(der)
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!cert.ReadASN1(&algo, cbasn1.SEQUENCE) || !algo.ReadASN1ObjectIdentifier(&c.sigAlg) {
		return c, false
	}
	var ver cryptobyte.String
	var hasVer bool
	if !tbs.ReadOptionalASN1(&ver, &hasVer, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return c, false
	}
	if hasVer && !ver.ReadASN1Int64WithTag(&c.version, cbasn1.INTEGER) {
		return c, false
	}
	var serial, issuer, subject cryptobyte.String
	if !tbs.ReadASN1(&serial, cbasn1.INTEGER) || !tbs.SkipASN1(cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !tbs.ReadASN1(&validity, cbasn1.SEQUENCE) ||
		!validity.ReadAnyASN1(&c.notBefore, &c.nbTag) || !validity.ReadAnyASN1(&c.notAfter, &c.naTag) ||
		!tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) {
		return c, false
	}
	c.serial, c.issuer, c.subject = serial, issuer, subject
	return c, true
}

func findCert(certs cryptobyte.String, s signer) []byte {
	for !certs.Empty() {
		var one cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&one, &tag) {
			return nil
		}
		if tag != cbasn1.SEQUENCE {
			continue
		}
		c, ok := splitCert(one)
		if ok && bytes.Equal(c.issuer, s.issuer) && bytes.Equal(c.serial, s.serial) {
			return one
		}
	}
	return nil
}

func certValue(der []byte) (module.Value, bool) {
	c, ok := splitCert(der)
	if !ok {
		return module.Value{}, false
	}
	sum := sha1.Sum(der)
	v := obj{}
	v.setStr("thumbprint", []byte(hex.EncodeToString(sum[:])))
	v.setStr("issuer", []byte(nameOneline(c.issuer)))
	v.setStr("subject", []byte(nameOneline(c.subject)))
	v.setInt("version", c.version+1)
	oid := c.sigAlg.String()
	if ln, ok := sigAlgNames[oid]; ok {
		v.setStr("algorithm", []byte(ln))
	} else {
		v.setStr("algorithm", []byte("undefined")) // OBJ_nid2ln(NID_undef)
	}
	v.setStr("algorithm_oid", []byte(oid))
	// YARA prints the DER content of the serial (sign byte included) when
	// its encoding is 3 to 22 bytes long.
	if n := len(c.serial) + 2; n > 2 && n <= 22 {
		parts := make([]string, len(c.serial))
		for i, b := range c.serial {
			parts[i] = fmt.Sprintf("%02x", b)
		}
		v.setStr("serial", []byte(strings.Join(parts, ":")))
	}
	v.setInt("not_before", asn1Time(c.notBefore, c.nbTag))
	v.setInt("not_after", asn1Time(c.notAfter, c.naTag))
	return v.value(), true
}

// asn1Time is YARA's ASN1_get_time_t: the digits are read without checks
// and the zone is ignored.
func asn1Time(s []byte, tag cbasn1.Tag) int64 {
	d := func(i int) int {
		if i < len(s) {
			return int(s[i]) - '0'
		}
		return -'0'
	}
	i := 0
	year := 0
	switch tag {
	case cbasn1.UTCTime:
		year = d(0)*10 + d(1)
		if year < 70 {
			year += 100
		}
		year += 1900
		i = 2
	case cbasn1.GeneralizedTime:
		year = d(0)*1000 + d(1)*100 + d(2)*10 + d(3)
		i = 4
	default:
		year = 1900
	}
	mon := d(i)*10 + d(i+1) - 1
	day := d(i+2)*10 + d(i+3)
	hour := d(i+4)*10 + d(i+5)
	min := d(i+6)*10 + d(i+7)
	sec := d(i+8)*10 + d(i+9)
	return time.Date(year, time.Month(mon+1), day, hour, min, sec, 0, time.UTC).Unix()
}

// nameOneline renders a Name as OpenSSL's X509_NAME_oneline does
// ("/C=US/O=Example/CN=Name"), escaping bytes outside ' '..'~' as \xHH and
// dropping entries past 255 characters.
func nameOneline(der []byte) string {
	var b strings.Builder
	s := cryptobyte.String(der)
	var rdns cryptobyte.String
	if !s.ReadASN1(&rdns, cbasn1.SEQUENCE) {
		return ""
	}
	for !rdns.Empty() {
		var set cryptobyte.String
		if !rdns.ReadASN1(&set, cbasn1.SET) {
			break
		}
		for !set.Empty() {
			var atv, val cryptobyte.String
			var oid asn1.ObjectIdentifier
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&oid) || !atv.ReadAnyASN1(&val, &tag) {
				return b.String()
			}
			key, ok := attrShortNames[oid.String()]
			if !ok {
				key = oid.String()
			}
			var e strings.Builder
			e.WriteString("/" + key + "=")
			for _, c := range val {
				if c < ' ' || c > '~' {
					e.WriteString(`\x` + strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)+strconv.FormatUint(uint64(c)&15, 16)))
				} else {
					e.WriteByte(c)
				}
			}
			if b.Len()+e.Len() > 255 {
				return b.String()
			}
			b.WriteString(e.String())
		}
	}
	return b.String()
}

var attrShortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C",
	"2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.12": "title", "2.5.4.13": "description",
	"2.5.4.15": "businessCategory", "2.5.4.17": "postalCode", "2.5.4.41": "name",
	"2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
	"2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

var sigAlgNames = map[string]string{
	"1.2.840.113549.1.1.2":   "md2WithRSAEncryption",
	"1.2.840.113549.1.1.4":   "md5WithRSAEncryption",
	"1.2.840.113549.1.1.5":   "sha1WithRSAEncryption",
	"1.2.840.113549.1.1.10":  "rsassaPss",
	"1.2.840.113549.1.1.11":  "sha256WithRSAEncryption",
	"1.2.840.113549.1.1.12":  "sha384WithRSAEncryption",
	"1.2.840.113549.1.1.13":  "sha512WithRSAEncryption",
	"1.2.840.113549.1.1.14":  "sha224WithRSAEncryption",
	"1.3.14.3.2.29":          "sha1WithRSA",
	"1.2.840.10040.4.3":      "dsaWithSHA1",
	"2.16.840.1.101.3.4.3.2": "dsa_with_SHA256",
	"1.2.840.10045.4.1":      "ecdsa-with-SHA1",
	"1.2.840.10045.4.3.2":    "ecdsa-with-SHA256",
	"1.2.840.10045.4.3.3":    "ecdsa-with-SHA384",
	"1.2.840.10045.4.3.4":    "ecdsa-with-SHA512",
}
