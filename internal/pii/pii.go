// Package pii finds personal identifiers in cleartext: Chinese resident
// identity numbers (GB 11643, with check digit, region and birth date
// validated), mainland mobile numbers and bank card numbers (UnionPay
// 16-19 digits, Visa/Mastercard 16 digits, all Luhn-valid).
//
// Findings carry offsets and a masked form; the package never returns or
// logs a full identifier in anything meant for display, so alerts built from
// it do not themselves leak patient data. It does not parse protocols (the
// HL7/DICOM dissectors in netsense find names) and does not decide whether a
// flow is allowed to carry PII. Any package may import it (agent, sensor).
package pii

import "strings"

// Kind is the type of an identifier.
type Kind uint8

// Identifier kinds.
const (
	KindCNID Kind = iota + 1
	KindMobile
	KindBankCard
)

func (k Kind) String() string {
	switch k {
	case KindCNID:
		return "cn_resident_id"
	case KindMobile:
		return "cn_mobile"
	case KindBankCard:
		return "bank_card"
	}
	return "unknown"
}

// Finding is one identifier found in a text.
type Finding struct {
	Kind   Kind
	Offset int // byte offset of the identifier in the scanned text
	Len    int
	Masked string // e.g. 110101********4514; safe to log
}

// MaxFindings bounds the result of one Find call.
const MaxFindings = 256

// Find scans text for identifiers. It looks at maximal runs of ASCII digits
// (with a trailing X for resident IDs) that are not glued to further digits,
// so that numbers inside longer numbers never match.
func Find(text []byte) []Finding {
	var out []Finding
	for i := 0; i < len(text) && len(out) < MaxFindings; {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		run := text[i:j]
		end := j
		if len(run) == 17 && j < len(text) && (text[j] == 'X' || text[j] == 'x') {
			run = text[i : j+1]
			end = j + 1
		}
		if f, ok := classify(run); ok {
			f.Offset = i
			out = append(out, f)
		}
		i = end
	}
	return out
}

func classify(run []byte) (Finding, bool) {
	s := string(run)
	switch {
	case len(s) == 18 && ValidCNID(s):
		return Finding{Kind: KindCNID, Len: 18, Masked: mask(s, 6, 4)}, true
	case ValidMobile(s):
		return Finding{Kind: KindMobile, Len: len(s), Masked: mask(s, len(s)-8, 4)}, true
	case ValidBankCard(s):
		return Finding{Kind: KindBankCard, Len: len(s), Masked: mask(s, 6, 4)}, true
	}
	return Finding{}, false
}

func mask(s string, head, tail int) string {
	if head+tail >= len(s) {
		return strings.Repeat("*", len(s))
	}
	return s[:head] + strings.Repeat("*", len(s)-head-tail) + s[len(s)-tail:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// provinces are the first two digits of GB/T 2260 region codes in use,
// plus 81/82/83 for Hong Kong, Macao and Taiwan residence permits.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// ValidCNID reports whether s is an 18-character resident identity number
// with a known province, a real birth date (1900-2099) and a correct
// ISO 7064 MOD 11-2 check character.
func ValidCNID(s string) bool {
	if len(s) != 18 || !provinces[s[:2]] {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if !isDigit(s[i]) {
			return false
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	c := s[17]
	if c == 'x' {
		c = 'X'
	}
	if idCheck[sum%11] != c {
		return false
	}
	return validDate(atoi(s[6:10]), atoi(s[10:12]), atoi(s[12:14]))
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func validDate(y, m, d int) bool {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// ValidMobile reports whether s is a mainland China mobile number: 11
// digits 1[3-9]xxxxxxxxx, optionally prefixed by the country code 86.
func ValidMobile(s string) bool {
	if len(s) == 13 && s[:2] == "86" {
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// ValidBankCard reports whether s is a Luhn-valid card number of a shape
// that issuers use: UnionPay (62, 16-19 digits) or Visa/Mastercard (4,
// 51-55, 2221-2720; 16 digits). Other lengths and prefixes are ignored to
// keep random numbers from matching.
func ValidBankCard(s string) bool {
	n := len(s)
	if n < 16 || n > 19 {
		return false
	}
	switch {
	case s[:2] == "62":
	case n == 16 && s[0] == '4':
	case n == 16 && s[0] == '5' && s[1] >= '1' && s[1] <= '5':
	case n == 16 && atoi(s[:4]) >= 2221 && atoi(s[:4]) <= 2720:
	default:
		return false
	}
	return Luhn(s)
}

// Luhn reports whether the digit string s passes the Luhn (mod 10) check.
func Luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		if !isDigit(s[i]) {
			return false
		}
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(s) > 0 && sum%10 == 0
}
