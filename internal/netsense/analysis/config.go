package analysis

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "30s", "5m" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Nanos returns the duration in nanoseconds.
func (d Duration) Nanos() int64 { return int64(d) }

// Config holds every threshold of the sensor. Defaults() documents the
// defaults; docs/sensor.md shows the same file.
type Config struct {
	HomeNet []string `yaml:"home_net"`
	Flows   struct {
		MaxFlows       int      `yaml:"max_flows"`
		TCPEstablished Duration `yaml:"tcp_established_timeout"`
		TCPHandshake   Duration `yaml:"tcp_handshake_timeout"`
		TCPClosed      Duration `yaml:"tcp_closed_timeout"`
		UDP            Duration `yaml:"udp_timeout"`
	} `yaml:"flows"`
	Stream struct {
		Depth       int `yaml:"depth"`
		HTTPBody    int `yaml:"http_body"`
		MessageSize int `yaml:"message_size"`
	} `yaml:"stream"`
	MS17010 struct {
		Trans2SecondaryCount int      `yaml:"trans2_secondary_count"`
		NTTransLargeData     uint32   `yaml:"nt_trans_large_data"`
		SprayCount           int      `yaml:"transaction_spray_count"`
		SprayWindow          Duration `yaml:"transaction_spray_window"`
		Window               Duration `yaml:"window"`
	} `yaml:"ms17_010"`
	SMBv1 struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"smbv1"`
	Mining struct {
		PoolDomains []string `yaml:"pool_domains"`
		ReportP2P   bool     `yaml:"report_p2p"`
	} `yaml:"mining"`
	Scan struct {
		VerticalPorts    int      `yaml:"vertical_ports"`
		HorizontalHosts  int      `yaml:"horizontal_hosts"`
		Window           Duration `yaml:"window"`
		AdminPorts       []int    `yaml:"admin_ports"`
		AdminFanoutHosts int      `yaml:"admin_fanout_hosts"`
		Stealth          bool     `yaml:"stealth"`
	} `yaml:"scan"`
	Lateral struct {
		RDPSessions int      `yaml:"rdp_sessions_per_pair"`
		RDPWindow   Duration `yaml:"rdp_window"`
		RDPMinBytes int64    `yaml:"rdp_min_bytes"`
	} `yaml:"lateral"`
	Beacon struct {
		MinConnections int      `yaml:"min_connections"`
		MaxJitter      float64  `yaml:"max_jitter"`
		MinInterval    Duration `yaml:"min_interval"`
		MinSpan        Duration `yaml:"min_span"`
	} `yaml:"beacon"`
	DNS struct {
		LongLabel         int      `yaml:"long_label"`
		LongSubdomain     int      `yaml:"long_subdomain"`
		MinEntropy        float64  `yaml:"min_entropy"`
		SuspiciousPerZone int      `yaml:"suspicious_queries_per_zone"`
		TXTPerZone        int      `yaml:"txt_null_queries_per_zone"`
		Window            Duration `yaml:"window"`
		NXDomainCount     int      `yaml:"nxdomain_count"`
		NXDomainRatio     float64  `yaml:"nxdomain_ratio"`
	} `yaml:"dns"`
	Exfil struct {
		Bytes int64 `yaml:"outbound_bytes"`
	} `yaml:"exfil"`
	C2Ports struct {
		Ports    []int `yaml:"ports"`
		MinBytes int64 `yaml:"min_bytes"`
	} `yaml:"c2_ports"`
	PHI struct {
		MinIdentifiers int `yaml:"min_identifiers"`
	} `yaml:"phi"`
	// Suppress drops alerts of known-good activity: each entry names a
	// rule id (or prefix ending in "*", or "*" for all) and source and/or
	// destination networks; an empty network matches any address.
	Suppress []Suppression `yaml:"suppress"`
}

// Suppression is one entry of Config.Suppress.
type Suppression struct {
	Rule string `yaml:"rule"`
	Src  string `yaml:"src,omitempty"`
	Dst  string `yaml:"dst,omitempty"`
}

// Defaults returns the default configuration.
func Defaults() *Config {
	c := &Config{}
	c.HomeNet = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
	c.Flows.MaxFlows = 262144
	c.Flows.TCPEstablished = Duration(time.Hour)
	c.Flows.TCPHandshake = Duration(30 * time.Second)
	c.Flows.TCPClosed = Duration(10 * time.Second)
	c.Flows.UDP = Duration(2 * time.Minute)
	c.Stream.Depth = 1 << 20
	c.Stream.HTTPBody = 64 << 10
	c.Stream.MessageSize = 128 << 10
	c.MS17010.Trans2SecondaryCount = 3
	c.MS17010.NTTransLargeData = 0x10000
	c.MS17010.SprayCount = 20
	c.MS17010.SprayWindow = Duration(time.Second)
	c.MS17010.Window = Duration(30 * time.Second)
	c.SMBv1.Enabled = true
	c.Mining.PoolDomains = []string{"supportxmr.com", "nanopool.org", "minexmr.com", "2miners.com", "f2pool.com",
		"ethermine.org", "flypool.org", "nicehash.com", "moneroocean.stream", "hashvault.pro", "slushpool.com",
		"antpool.com", "viabtc.com", "herominers.com", "c3pool.com", "xmrpool.eu", "minergate.com", "unmineable.com"}
	c.Mining.ReportP2P = true
	c.Scan.VerticalPorts = 100
	c.Scan.HorizontalHosts = 50
	c.Scan.Window = Duration(time.Minute)
	c.Scan.AdminPorts = []int{22, 135, 139, 445, 3389, 5985, 5986}
	c.Scan.AdminFanoutHosts = 10
	c.Scan.Stealth = true
	c.Lateral.RDPSessions = 2
	c.Lateral.RDPWindow = Duration(10 * time.Minute)
	c.Lateral.RDPMinBytes = 4096
	c.Beacon.MinConnections = 8
	c.Beacon.MaxJitter = 0.25
	c.Beacon.MinInterval = Duration(10 * time.Second)
	c.Beacon.MinSpan = Duration(10 * time.Minute)
	c.DNS.LongLabel = 30
	c.DNS.LongSubdomain = 60
	c.DNS.MinEntropy = 3.3
	c.DNS.SuspiciousPerZone = 3
	c.DNS.TXTPerZone = 20
	c.DNS.Window = Duration(5 * time.Minute)
	c.DNS.NXDomainCount = 20
	c.DNS.NXDomainRatio = 0.5
	c.Exfil.Bytes = 20 << 20
	c.C2Ports.Ports = []int{4444, 4445, 1337, 31337, 6666, 6667, 12345, 54321}
	c.C2Ports.MinBytes = 100 << 10
	c.PHI.MinIdentifiers = 1
	c.Suppress = []Suppression{}
	return c
}

// LoadConfig reads a YAML file over the defaults; unknown keys are errors.
func LoadConfig(path string) (*Config, error) {
	c := Defaults()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sensor config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("sensor config %s: %w", path, err)
	}
	return c, nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// DefaultsYAML returns the default configuration as a YAML document: the
// file to start a --config from (medshield sensor --print-config).
func DefaultsYAML() []byte {
	b, err := yaml.Marshal(Defaults())
	if err != nil {
		panic(err) // a plain struct always marshals
	}
	return b
}
