package pii

import (
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	tests := []struct {
		in   string
		fn   func(string) bool
		name string
		want bool
	}{
		{"110101199003074514", ValidCNID, "id", true},
		{"44030519851212002X", ValidCNID, "id", true},
		{"44030519851212002x", ValidCNID, "id", true},
		{"310115200001011238", ValidCNID, "id", true},
		{"110101199003074515", ValidCNID, "id wrong check digit", false},
		{"110101199013074514", ValidCNID, "id month 13", false},
		{"202401150830001234", ValidCNID, "id bad region", false},
		{"11010119900230451X", ValidCNID, "id feb 30", false},
		{"13800138000", ValidMobile, "mobile", true},
		{"8613912345678", ValidMobile, "mobile with 86", true},
		{"12345678901", ValidMobile, "mobile 12x", false},
		{"10012345678", ValidMobile, "mobile 10x", false},
		{"1380013800", ValidMobile, "mobile short", false},
		{"6222020000000000000", ValidBankCard, "unionpay 19", true},
		{"6217000000000000004", ValidBankCard, "unionpay 19", true},
		{"6228480000000007", ValidBankCard, "unionpay 16", true},
		{"6222020000000000001", ValidBankCard, "fails luhn", false},
		{"4111111111111111", ValidBankCard, "visa", true},
		{"1705305600000", ValidBankCard, "epoch ms", false},
		{"4111111111111111111", ValidBankCard, "visa 19 not accepted", false},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s: %q = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestFindIdentifiersInText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // kind:masked
	}{
		{"json", `{"身份证号":"110101199003074514","手机":"13800138000","银行卡":"6222020000000000000"}`,
			[]string{"cn_resident_id:110101********4514", "cn_mobile:138****8000", "bank_card:622202*********0000"}},
		{"query", "GET /q?idcard=44030519851212002X&phone=13912345678 HTTP/1.1",
			[]string{"cn_resident_id:440305********002X", "cn_mobile:139****5678"}},
		{"hl7", "PID|1||MRN1^^^HIS^MR~310115200001011238^^^CHN^NNCHN||ZHANG^SAN||||||||^PRN^CP^^^18600001111",
			[]string{"cn_resident_id:310115********1238", "cn_mobile:186****1111"}},
		{"negative control", `{"order":"202401150830001234","a":"110101199013074514","b":"110101199003074515",` +
			`"c":"12345678901","d":"10012345678","e":"6222020000000000001","ts":"1705305600000"}`, nil},
		{"embedded in longer number", "1110101199003074514", nil},
		{"digits then X not 17", "1234X", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range Find([]byte(tc.text)) {
				got = append(got, f.Kind.String()+":"+f.Masked)
				if strings.Contains(f.Masked, tc.text[f.Offset:f.Offset+f.Len]) {
					t.Errorf("masked form %q reveals the identifier", f.Masked)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestFindIsBounded(t *testing.T) {
	text := strings.Repeat("13800138000 ", MaxFindings*2)
	if n := len(Find([]byte(text))); n != MaxFindings {
		t.Errorf("found %d, want cap %d", n, MaxFindings)
	}
}

func FuzzFind(f *testing.F) {
	f.Add([]byte(`{"id":"110101199003074514","m":"13800138000","c":"6228480000000007"}`))
	f.Add([]byte("44030519851212002X"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fd := range Find(data) {
			if fd.Offset < 0 || fd.Offset+fd.Len > len(data) {
				t.Fatalf("finding out of range: %+v", fd)
			}
			s := string(data[fd.Offset : fd.Offset+fd.Len])
			if !ValidCNID(s) && !ValidMobile(s) && !ValidBankCard(s) {
				t.Fatalf("finding %q does not validate", s)
			}
		}
	})
}

func BenchmarkFind(b *testing.B) {
	text := []byte(strings.Repeat(`{"name":"x","order":20240115083000,"phone":"13800138000"} `, 200))
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		Find(text)
	}
}
