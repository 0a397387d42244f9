package miner

import (
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Reason codes and their weights; a finding's score is the capped sum.
const (
	ReasonMinerName      = "miner-name"      // argv[0] or the binary is a known miner
	ReasonStratumURL     = "stratum-url"     // a stratum+tcp:// (or ssl/tls) URL on the command line
	ReasonMinerOption    = "miner-option"    // --donate-level, -a rx/0, a wallet as user, ...
	ReasonPoolArgument   = "pool-argument"   // -o/--url/--pool HOST:PORT
	ReasonPoolDomain     = "pool-domain"     // that host is a known mining pool domain
	ReasonStratumPort    = "stratum-port"    // connected to a port mining pools use
	ReasonPoolConnection = "pool-connection" // connected to the pool its command line names
	ReasonIndicator      = "indicator"       // remote address or pool domain in the indicator sets
	ReasonSustainedCPU   = "sustained-cpu"   // high CPU for the sustain window, binary not package managed
	ReasonExeDeleted     = "exe-deleted"     // binary deleted after start
	ReasonExeTemp        = "exe-temp"        // binary runs from a temporary directory
)

var weights = map[string]int{
	ReasonMinerName: 60, ReasonStratumURL: 60, ReasonMinerOption: 30, ReasonPoolArgument: 20,
	ReasonPoolDomain: 60, ReasonStratumPort: 30, ReasonPoolConnection: 30, ReasonIndicator: 60,
	ReasonSustainedCPU: 50, ReasonExeDeleted: 10, ReasonExeTemp: 10,
}

// knownMiners are binary names of common miners (lower case); a name
// matches exactly or followed by a version or platform suffix.
var knownMiners = []string{
	"xmrig", "xmrig-notls", "xmrig-cuda", "xmr-stak", "xmr-stak-cpu", "xmr-stak-rx", "cpuminer", "cpuminer-multi",
	"cpuminer-opt", "minerd", "ethminer", "nbminer", "t-rex", "lolminer", "phoenixminer", "nanominer",
	"ccminer", "bminer", "gminer", "srbminer", "srbminer-multi", "teamredminer", "xmrigminer", "kdevtmpfsi",
}

var stratumRE = regexp.MustCompile(`(?i)stratum[12]?\+(tcp|ssl|tls)://([^\s/"',;]+)`)

// minerOptions are options only miners take.
var minerOptions = []string{
	"--donate-level", "--donate-over-proxy", "--randomx-1gb-pages", "--randomx-mode", "--randomx-no-numa",
	"--cpu-max-threads-hint", "--cpu-priority", "--rig-id", "--nicehash", "--coin", "--max-cpu-usage", "--cpu-affinity",
}

// miningAlgos are values of -a/--algo that name a mining algorithm.
var miningAlgos = map[string]bool{
	"rx/0": true, "rx/wow": true, "rx/arq": true, "randomx": true, "cn/r": true, "cn/0": true, "cryptonight": true,
	"cn-lite": true, "ethash": true, "etchash": true, "kawpow": true, "autolykos2": true, "kheavyhash": true,
	"scrypt": true, "sha256d": true, "x11": true, "yespower": true, "lyra2z": true, "equihash": true, "argon2/chukwa": true,
	"ghostrider": true, "verushash": true, "octopus": true, "firopow": true,
}

// poolDomains are registrable domains of well-known public mining pools.
var poolDomains = []string{
	"minexmr.com", "supportxmr.com", "nanopool.org", "2miners.com", "f2pool.com", "moneroocean.stream",
	"hashvault.pro", "c3pool.com", "herominers.com", "unmineable.com", "nicehash.com", "ethermine.org",
	"xmrpool.eu", "monerohash.com", "minergate.com", "p2pool.io", "dwarfpool.com", "viabtc.com",
	"antpool.com", "poolin.com", "kryptex.network", "zpool.ca", "zergpool.com", "prohashing.com",
	"miningpoolhub.com", "flypool.org", "hiveon.net", "gulf.moneroocean.stream", "xmrfast.com", "pool.hashvault.pro",
}

var (
	moneroWallet = regexp.MustCompile(`^[48][1-9A-HJ-NP-Za-km-z]{94}([1-9A-HJ-NP-Za-km-z]{11})?(\.|$)`)
	ethWallet    = regexp.MustCompile(`^0x[0-9a-fA-F]{40}(\.|$)`)
	hostPortRE   = regexp.MustCompile(`^(?:[a-z0-9+.-]+://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{2,5})/?$`)
)

// Reason is one piece of evidence.
type Reason struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Weight int    `json:"weight"`
}

// Pool is a pool endpoint named on a command line.
type Pool struct {
	Host string `json:"host"` // IP literal or domain
	Port uint16 `json:"port"`
}

// cmdlineFacts is what a command line says.
type cmdlineFacts struct {
	reasons []Reason
	pools   []Pool
}

func reason(code, detail string) Reason {
	return Reason{Code: code, Detail: detail, Weight: weights[code]}
}

// minerName reports whether base (a file name) is a known miner.
func minerName(base string) (string, bool) {
	b := strings.ToLower(strings.TrimSuffix(base, ".exe"))
	for _, m := range knownMiners {
		if b == m {
			return m, true
		}
		if rest, ok := strings.CutPrefix(b, m); ok && rest != "" && strings.ContainsRune("-_.0123456789", rune(rest[0])) {
			return m, true
		}
	}
	return "", false
}

// analyzeCmdline extracts mining evidence from argv and the binary path;
// pools lists the endpoints the command line names. isPoolDomain says
// whether a host is a pool domain (built in or from indicators).
func analyzeCmdline(argv []string, exe string, isPoolDomain func(string) (string, bool)) cmdlineFacts {
	var f cmdlineFacts
	have := map[string]bool{}
	add := func(r Reason) {
		if !have[r.Code] {
			have[r.Code] = true
			f.reasons = append(f.reasons, r)
		}
	}
	if len(argv) > 0 {
		if m, ok := minerName(filepath.Base(argv[0])); ok {
			add(reason(ReasonMinerName, "argv[0] "+strconvQuote(filepath.Base(argv[0]))+" is "+m))
		}
	}
	if exe != "" {
		if m, ok := minerName(filepath.Base(strings.TrimSuffix(exe, " (deleted)"))); ok {
			add(reason(ReasonMinerName, "binary "+strconvQuote(exe)+" is "+m))
		}
	}
	addPool := func(hostport, how string) {
		// stratum URLs may carry the wallet as user info: wallet.rig@host:port.
		if i := strings.LastIndexByte(hostport, '@'); i >= 0 {
			hostport = hostport[i+1:]
		}
		m := hostPortRE.FindStringSubmatch(hostport)
		if m == nil {
			return
		}
		port, err := strconv.Atoi(m[2])
		if err != nil || port <= 0 || port > 65535 {
			return
		}
		host := strings.Trim(strings.ToLower(m[1]), "[]")
		p := Pool{Host: host, Port: uint16(port)}
		for _, q := range f.pools {
			if q == p {
				return
			}
		}
		f.pools = append(f.pools, p)
		add(reason(ReasonPoolArgument, how+" "+strconvQuote(hostport)))
		if _, err := netip.ParseAddr(host); err != nil && isPoolDomain != nil {
			if src, ok := isPoolDomain(host); ok {
				code := ReasonPoolDomain
				if src != "" {
					code = ReasonIndicator
				}
				add(reason(code, host+" is a mining pool domain"+src))
			}
		}
	}
	for i, a := range argv {
		if i == 0 {
			continue
		}
		for _, m := range stratumRE.FindAllStringSubmatch(a, 4) {
			add(reason(ReasonStratumURL, strconvQuote(m[0])))
			addPool(m[2], "stratum URL")
		}
		name, val, hasVal := strings.Cut(a, "=")
		next := ""
		if i+1 < len(argv) {
			next = argv[i+1]
		}
		if !hasVal {
			val = next
		}
		for _, o := range minerOptions {
			if name == o {
				add(reason(ReasonMinerOption, o))
			}
		}
		switch name {
		case "-a", "--algo", "--algorithm":
			if miningAlgos[strings.ToLower(val)] {
				add(reason(ReasonMinerOption, name+" "+val))
			}
		case "-u", "--user", "--wallet", "-O", "--userpass":
			if moneroWallet.MatchString(val) || ethWallet.MatchString(val) {
				add(reason(ReasonMinerOption, name+" with a cryptocurrency wallet address"))
			}
		case "-o", "--url", "--pool", "-P", "--server":
			addPool(val, name)
		}
		// Some miners take -oHOST:PORT glued together.
		if strings.HasPrefix(a, "-o") && len(a) > 2 && a[2] != '=' {
			addPool(a[2:], "-o")
		}
	}
	return f
}

func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}

// builtinPoolDomain reports whether host is (under) a known pool domain.
func builtinPoolDomain(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range poolDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
