package winpatch

// Platform selects the Windows versions a fix entry applies to.
type Platform struct {
	Name       string
	MajorMinor string // "6.1"; "10.0" for Windows 10/11 and Server 2016+
	Builds     []int  // for 10.0: the CurrentBuild numbers; empty = any
	Server     int    // 0 any, 1 client only, 2 server only
}

// Fix says how one platform gets the fix.
type Fix struct {
	Platform Platform
	// NotAffected marks platforms the vulnerability does not affect (or
	// that were released with the fix).
	NotAffected bool
	// KBs: any one installed means the fix is present (the original update
	// and the superseding rollups/cumulative updates medshield knows).
	KBs []string
	// MinUBR: for 10.0 builds, a UBR at or above this contains the fix
	// (every later cumulative update raises the UBR).
	MinUBR int
	// File and MinFile: a file version at or above MinFile contains the fix
	// (supersedence-independent). MinFileLDR is the LDR-branch minimum when
	// it differs (Vista/2008: 4th field starting with 2).
	File       string
	MinFile    string
	MinFileLDR string
	// Source and Confidence document where the data comes from:
	// "corpus" = transcribed in shared/corpora/vuln/windows with its source;
	// "cross-checked" = confirmed on a public page during development;
	// "unverified" = from the MSRC update guide as recalled, to be reviewed.
	Source     string
	Confidence string
}

// Vulnerability is one curated check.
type Vulnerability struct {
	ID          string
	Title       string
	CVEs        []string
	Severity    string
	Remediation string
	// DomainControllerOnly: only domain controllers are exploitable.
	DomainControllerOnly bool
	Fixes                []Fix
}

// ms17010AnyOf is Microsoft's own "any one of these installed" list (Azure
// AD Connect Health FAQ, 2017-07-18, CheckForMS17-010), plus the bulletin's
// KBs; see shared/corpora/vuln/windows/ms17-010-any-of-kbs.txt.
var ms17010AnyOf = []string{
	"KB3205409", "KB3210720", "KB3210721", "KB3212646", "KB3213986", "KB4012212", "KB4012213", "KB4012214",
	"KB4012215", "KB4012216", "KB4012217", "KB4012218", "KB4012220", "KB4012598", "KB4012606", "KB4013198",
	"KB4013389", "KB4013429", "KB4015217", "KB4015438", "KB4015546", "KB4015547", "KB4015548", "KB4015549",
	"KB4015550", "KB4015551", "KB4015552", "KB4015553", "KB4015554", "KB4016635", "KB4019213", "KB4019214",
	"KB4019215", "KB4019216", "KB4019263", "KB4019264", "KB4019472", "KB4015221", "KB4019474", "KB4015219",
	"KB4019473",
}

const (
	srcMS17010   = "MS17-010 bulletin (KB4013389) and Microsoft KB4023262; corpus vuln/windows"
	srcBlueKeep  = "MSRC CVE-2019-0708 (May 2019 updates); support.microsoft.com/help/4500705"
	srcZerologon = "MSRC CVE-2020-1472 (August 2020 updates); KB4557222"
	srcPrintN    = "MSRC CVE-2021-34527 (July 2021 out-of-band updates)"
	srcSMBGhost  = "MSRC CVE-2020-0796 / ADV200005 (KB4551762)"
)

var (
	xp       = Platform{Name: "Windows XP", MajorMinor: "5.1"}
	srv2003  = Platform{Name: "Windows Server 2003", MajorMinor: "5.2"}
	vista08  = Platform{Name: "Windows Vista / Server 2008", MajorMinor: "6.0"}
	win7     = Platform{Name: "Windows 7 SP1 / Server 2008 R2 SP1", MajorMinor: "6.1"}
	win8     = Platform{Name: "Windows 8 / Server 2012", MajorMinor: "6.2"}
	win81    = Platform{Name: "Windows 8.1 / Server 2012 R2", MajorMinor: "6.3"}
	w10_1507 = Platform{Name: "Windows 10 1507", MajorMinor: "10.0", Builds: []int{10240}}
	w10_1511 = Platform{Name: "Windows 10 1511", MajorMinor: "10.0", Builds: []int{10586}}
	w10_1607 = Platform{Name: "Windows 10 1607 / Server 2016", MajorMinor: "10.0", Builds: []int{14393}}
	w10_1809 = Platform{Name: "Windows 10 1809 / Server 2019", MajorMinor: "10.0", Builds: []int{17763}}
	w10_19xx = Platform{Name: "Windows 10 1903/1909, Server 1903/1909", MajorMinor: "10.0", Builds: []int{18362, 18363}}
	w10_20xx = Platform{Name: "Windows 10 2004/20H2/21H1", MajorMinor: "10.0", Builds: []int{19041, 19042, 19043}}
	w10later = Platform{Name: "Windows 10 1703 and later, Windows 11, Server 2019 and later", MajorMinor: "10.0"}
	anyLater = Platform{Name: "later Windows", MajorMinor: "10.0"}
)

// Table is the curated list, most critical for hospitals first.
var Table = []Vulnerability{
	{
		ID: "MS17-010", Title: "SMBv1 remote code execution (EternalBlue, WannaCry)",
		CVEs:        []string{"CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147", "CVE-2017-0148"},
		Severity:    "CRITICAL",
		Remediation: "Install the MS17-010 update for this OS (or any later cumulative/monthly rollup) and disable SMBv1.",
		Fixes: []Fix{
			{Platform: xp, KBs: []string{"KB4012598"}, File: "srv.sys", MinFile: "5.1.2600.7208", Source: srcMS17010, Confidence: "corpus"},
			{Platform: srv2003, KBs: []string{"KB4012598"}, File: "srv.sys", MinFile: "5.2.3790.6021", Source: srcMS17010, Confidence: "corpus"},
			{Platform: vista08, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.0.6002.19743", MinFileLDR: "6.0.6002.24067", Source: srcMS17010, Confidence: "corpus"},
			{Platform: win7, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.1.7601.23689", Source: srcMS17010, Confidence: "corpus"},
			{Platform: win8, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.2.9200.22099", Source: srcMS17010, Confidence: "corpus"},
			{Platform: win81, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.3.9600.18604", Source: srcMS17010, Confidence: "corpus"},
			{Platform: w10_1507, KBs: ms17010AnyOf, MinUBR: 17319, File: "srv.sys", MinFile: "10.0.10240.17319", Source: srcMS17010, Confidence: "corpus"},
			{Platform: w10_1511, KBs: ms17010AnyOf, MinUBR: 839, File: "srv.sys", MinFile: "10.0.10586.839", Source: srcMS17010, Confidence: "corpus"},
			{Platform: w10_1607, KBs: ms17010AnyOf, MinUBR: 953, File: "srv.sys", MinFile: "10.0.14393.953", Source: srcMS17010, Confidence: "corpus"},
			{Platform: w10later, NotAffected: true, Source: srcMS17010 + " (1703 and later released patched)", Confidence: "corpus"},
		},
	},
	{
		ID: "CVE-2019-0708", Title: "BlueKeep: Remote Desktop Services pre-authentication RCE",
		CVEs: []string{"CVE-2019-0708"}, Severity: "CRITICAL",
		Remediation: "Install the May 2019 update (or a later monthly rollup); enable Network Level Authentication; block TCP 3389 from untrusted networks.",
		Fixes: []Fix{
			{Platform: xp, KBs: []string{"KB4500331"}, Source: srcBlueKeep, Confidence: "unverified"},
			{Platform: srv2003, KBs: []string{"KB4500331"}, Source: srcBlueKeep, Confidence: "unverified"},
			{Platform: vista08, KBs: []string{"KB4499180", "KB4499149"}, Source: srcBlueKeep, Confidence: "unverified"},
			{Platform: win7, KBs: []string{"KB4499175", "KB4499164"}, Source: srcBlueKeep, Confidence: "unverified"},
			{Platform: win8, NotAffected: true, Source: srcBlueKeep + " (Windows 8 and later not affected)", Confidence: "cross-checked"},
			{Platform: win81, NotAffected: true, Source: srcBlueKeep, Confidence: "cross-checked"},
			{Platform: anyLater, NotAffected: true, Source: srcBlueKeep, Confidence: "cross-checked"},
		},
	},
	{
		ID: "CVE-2020-1472", Title: "Zerologon: Netlogon elevation of privilege (domain controllers)",
		CVEs: []string{"CVE-2020-1472"}, Severity: "CRITICAL", DomainControllerOnly: true,
		Remediation: "Install the August 2020 (or later) update on every domain controller and enforce secure Netlogon RPC (KB4557222).",
		Fixes: []Fix{
			{Platform: Platform{Name: "Windows Server 2008 SP2", MajorMinor: "6.0", Server: 2}, KBs: []string{"KB4571730", "KB4571746"}, Source: srcZerologon, Confidence: "cross-checked"},
			{Platform: Platform{Name: "Windows Server 2008 R2 SP1", MajorMinor: "6.1", Server: 2}, KBs: []string{"KB4571729", "KB4571719"}, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2012", MajorMinor: "6.2", Server: 2}, KBs: []string{"KB4571736", "KB4571702"}, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2012 R2", MajorMinor: "6.3", Server: 2}, KBs: []string{"KB4571703", "KB4571723"}, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2016", MajorMinor: "10.0", Builds: []int{14393}, Server: 2}, KBs: []string{"KB4571694"}, MinUBR: 3866, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2019", MajorMinor: "10.0", Builds: []int{17763}, Server: 2}, KBs: []string{"KB4565349"}, MinUBR: 1397, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 1903/1909", MajorMinor: "10.0", Builds: []int{18362, 18363}, Server: 2}, KBs: []string{"KB4565351"}, MinUBR: 1016, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2004", MajorMinor: "10.0", Builds: []int{19041}, Server: 2}, KBs: []string{"KB4566782"}, MinUBR: 450, Source: srcZerologon, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows Server 2022 and later", MajorMinor: "10.0", Server: 2}, NotAffected: true, Source: srcZerologon + " (released after the fix)", Confidence: "unverified"},
		},
	},
	{
		ID: "CVE-2021-34527", Title: "PrintNightmare: Print Spooler remote code execution",
		CVEs: []string{"CVE-2021-34527"}, Severity: "HIGH",
		Remediation: "Install the July 2021 out-of-band update (or later); disable the Print Spooler where printing is not needed; set PointAndPrint NoWarningNoElevationOnInstall=0.",
		Fixes: []Fix{
			{Platform: Platform{Name: "Windows Server 2008 SP2", MajorMinor: "6.0"}, KBs: []string{"KB5004955", "KB5004959"}, Source: srcPrintN, Confidence: "unverified"},
			{Platform: win7, KBs: []string{"KB5004953", "KB5004951"}, Source: srcPrintN, Confidence: "unverified"},
			{Platform: win8, KBs: []string{"KB5004956", "KB5004960"}, Source: srcPrintN, Confidence: "unverified"},
			{Platform: win81, KBs: []string{"KB5004954", "KB5004958"}, Source: srcPrintN, Confidence: "unverified"},
			{Platform: w10_1507, KBs: []string{"KB5004950"}, MinUBR: 18969, Source: srcPrintN, Confidence: "unverified"},
			{Platform: w10_1607, KBs: []string{"KB5004948"}, MinUBR: 4470, Source: srcPrintN, Confidence: "unverified"},
			{Platform: w10_1809, KBs: []string{"KB5004947"}, MinUBR: 2029, Source: srcPrintN, Confidence: "unverified"},
			{Platform: Platform{Name: "Windows 10 1909", MajorMinor: "10.0", Builds: []int{18363}}, KBs: []string{"KB5004946"}, MinUBR: 1646, Source: srcPrintN, Confidence: "unverified"},
			{Platform: w10_20xx, KBs: []string{"KB5004945"}, MinUBR: 1083, Source: srcPrintN, Confidence: "cross-checked"},
			// End-of-life builds that received no fix: vulnerable until upgraded.
			{Platform: Platform{Name: "Windows 10 1511, 1703-1903 (no fix released)", MajorMinor: "10.0", Builds: []int{10586, 15063, 16299, 17134, 18362}}, Source: srcPrintN, Confidence: "unverified"},
			{Platform: anyLater, NotAffected: true, Source: srcPrintN + " (later builds released after the fix)", Confidence: "unverified"},
		},
	},
	{
		ID: "CVE-2020-0796", Title: "SMBGhost: SMBv3.1.1 compression remote code execution",
		CVEs: []string{"CVE-2020-0796"}, Severity: "CRITICAL",
		Remediation: "Install KB4551762 (or any later cumulative update); until then set LanmanServer\\Parameters DisableCompression=1 and block TCP 445.",
		Fixes: []Fix{
			{Platform: w10_19xx, KBs: []string{"KB4551762"}, MinUBR: 720, Source: srcSMBGhost, Confidence: "cross-checked"},
			{Platform: anyLater, NotAffected: true, Source: srcSMBGhost + " (only 1903/1909 affected)", Confidence: "cross-checked"},
			{Platform: Platform{Name: "Windows 8.1 and earlier", MajorMinor: ""}, NotAffected: true, Source: srcSMBGhost, Confidence: "cross-checked"},
		},
	},
}
