package miner

import (
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/ioc"
)

const testWallet = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"

func codes(rs []Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	sort.Strings(out)
	return out
}

func TestAnalyzeCmdline(t *testing.T) {
	cases := []struct {
		name  string
		argv  []string
		exe   string
		want  []string // reason codes, sorted
		pools []Pool
	}{
		{"xmrig with pool and wallet", []string{"./xmrig", "-o", "pool.supportxmr.com:3333", "-u", testWallet, "-k", "--donate-level", "1"}, "/home/u/xmrig-6.21.0/xmrig",
			[]string{ReasonMinerName, ReasonMinerOption, ReasonPoolArgument, ReasonPoolDomain}, []Pool{{"pool.supportxmr.com", 3333}}},
		{"renamed miner, stratum URL", []string{"/usr/local/bin/systemd-helper", "--url=stratum+tcp://185.10.68.1:4444", "-a", "rx/0"}, "/usr/local/bin/systemd-helper",
			[]string{ReasonMinerOption, ReasonPoolArgument, ReasonStratumURL}, []Pool{{"185.10.68.1", 4444}}},
		{"ethminer stratum1", []string{"ethminer", "-P", "stratum1+tcp://0x1234567890abcdef1234567890abcdef12345678.rig@eth.2miners.com:2020"}, "",
			[]string{ReasonMinerName, ReasonPoolArgument, ReasonPoolDomain, ReasonStratumURL}, []Pool{{"eth.2miners.com", 2020}}},
		{"t-rex kawpow", []string{"t-rex", "-a", "kawpow", "-o", "stratum+tcp://rvn.2miners.com:6060", "-u", "RAbc"}, "/opt/t-rex/t-rex",
			[]string{ReasonMinerName, ReasonMinerOption, ReasonPoolArgument, ReasonPoolDomain, ReasonStratumURL}, []Pool{{"rvn.2miners.com", 6060}}},
		{"cpuminer glued -o", []string{"cpuminer-opt", "-a", "yespower", "-ostratum+tcp://10.0.0.9:7777"}, "",
			[]string{ReasonMinerName, ReasonMinerOption, ReasonPoolArgument, ReasonStratumURL}, []Pool{{"10.0.0.9", 7777}}},
		{"kinsing dropper name", []string{"/tmp/kdevtmpfsi"}, "/tmp/kdevtmpfsi", []string{ReasonMinerName}, nil},
		{"deleted miner binary", []string{"[kworker/0:1]"}, "/dev/shm/.x/xmrig (deleted)", []string{ReasonMinerName}, nil},
		// Benign look-alikes.
		{"ssh -o", []string{"ssh", "-o", "StrictHostKeyChecking=no", "backup.hospital.local"}, "/usr/bin/ssh", nil, nil},
		{"mount -o", []string{"mount", "-o", "remount,rw", "/"}, "/usr/bin/mount", nil, nil},
		{"gcc -o", []string{"gcc", "-o", "main", "main.c"}, "/usr/bin/gcc", nil, nil},
		{"database client --url host:port", []string{"java", "-jar", "his.jar", "--url", "db.hospital.local:5432"}, "/usr/bin/java",
			[]string{ReasonPoolArgument}, []Pool{{"db.hospital.local", 5432}}},
		{"web app on 3333", []string{"node", "server.js", "--port", "3333"}, "/usr/bin/node", nil, nil},
		{"word xmrig in a path argument", []string{"grep", "-r", "xmrig", "/var/log"}, "/usr/bin/grep", nil, nil},
		{"minerd prefix only", []string{"minerdash"}, "/usr/bin/minerdash", nil, nil},
		{"empty", nil, "", nil, nil},
	}
	d := New(Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := analyzeCmdline(c.argv, c.exe, d.isPoolDomain)
			if got := codes(f.reasons); !slices.Equal(got, c.want) {
				t.Errorf("reasons = %v, want %v (%+v)", got, c.want, f.reasons)
			}
			if !slices.Equal(f.pools, c.pools) {
				t.Errorf("pools = %v, want %v", f.pools, c.pools)
			}
		})
	}
}

// TestScoring runs judge on synthetic processes: what is flagged and why.
func TestScoring(t *testing.T) {
	set := ioc.NewSet()
	for _, v := range []string{"203.0.113.7", "evilpool.example"} {
		if err := set.Add(ioc.Indicator{Kind: ioc.Classify(v), Value: v, Threat: "coinminer"}); err != nil {
			t.Fatal(err)
		}
	}
	ap := netip.MustParseAddrPort
	cases := []struct {
		name    string
		p       procInfo
		flagged bool
		want    []string
	}{
		{"named miner", procInfo{Argv: []string{"xmrig"}, Exe: "/opt/xmrig"}, true, []string{ReasonMinerName}},
		{"unnamed, connected to the pool it names on a stratum port",
			procInfo{Argv: []string{"/opt/app/worker", "-o", "10.1.1.1:3333"}, Exe: "/opt/app/worker", Remote: []netip.AddrPort{ap("10.1.1.1:3333")}},
			true, []string{ReasonPoolArgument, ReasonPoolConnection, ReasonStratumPort}},
		{"only a stratum-port connection", procInfo{Argv: []string{"/opt/app/client"}, Exe: "/opt/app/client", Remote: []netip.AddrPort{ap("10.1.1.1:3333")}},
			false, []string{ReasonStratumPort}},
		{"connection to an indicator IP", procInfo{Argv: []string{"/opt/app/svc"}, Exe: "/opt/app/svc", Remote: []netip.AddrPort{ap("203.0.113.7:443")}},
			true, []string{ReasonIndicator}},
		{"pool domain from indicators", procInfo{Argv: []string{"svc", "--pool", "a.evilpool.example:8080"}, Exe: "/opt/svc"},
			true, []string{ReasonIndicator, ReasonPoolArgument}},
		{"boosters never alone", procInfo{Argv: []string{"/tmp/x"}, Exe: "/tmp/x (deleted)"}, false, nil},
		{"miner from /tmp, deleted", procInfo{Argv: []string{"/tmp/xmrig"}, Exe: "/tmp/xmrig (deleted)"}, true,
			[]string{ReasonExeDeleted, ReasonExeTemp, ReasonMinerName}},
		{"HTTP client", procInfo{Argv: []string{"curl", "http://10.1.1.1:8080/"}, Exe: "/usr/bin/curl", Remote: []netip.AddrPort{ap("10.1.1.1:8080")}}, false, nil},
	}
	d := New(Options{Indicators: set})
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.p.PID = 1000 + i
			f, ok := d.judge(&c.p, procKey{c.p.PID, 1}, testNow)
			if ok != c.flagged {
				t.Errorf("flagged = %v (score %d), want %v", ok, f.Score, c.flagged)
			}
			if !ok {
				return
			}
			if got := codes(f.Reasons); !slices.Equal(got, c.want) {
				t.Errorf("reasons = %v, want %v", got, c.want)
			}
			sum := 0
			for _, r := range f.Reasons {
				sum += r.Weight
			}
			if f.Score != min(sum, 100) || f.Score < 50 {
				t.Errorf("score %d for weights summing to %d", f.Score, sum)
			}
			e := f.Event("alert")
			if err := e.Validate(); err != nil || e.Process.PID != c.p.PID || !strings.Contains(e.Message, "score") {
				t.Errorf("event: %v %+v", err, e)
			}
		})
	}
}
