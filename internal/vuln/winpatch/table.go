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
	// Source and Confidence document where the data comes from. Source
	// names the corpus file or public URL(s) each value was checked against
	// (TestTableSources enforces one). Confidence is one of:
	// "corpus" = transcribed in shared/corpora/vuln/windows (see its
	// SOURCES.md) and pinned by TestTableAgainstCorpus;
	// "verified" = every KB, build and the affected/not-affected claim were
	// checked against the cited public sources;
	// "unverified" = some value could not be confirmed: Source says which
	// ("not verified: ...").
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

// Confidence values (see Fix).
const (
	confCorpus     = "corpus"
	confVerified   = "verified"
	confUnverified = "unverified"
)

// Sources. URLs were checked during the review of issue 5 (part 4); the
// Windows 10/11 and Server 2016+ "KB = OS build" pairs come from
// Microsoft's update-history pages (https://aka.ms/WindowsUpdateHistory,
// https://aka.ms/Windows11UpdateHistory, Server 2022 update history), read
// through their machine-readable mirror
// github.com/altrhombus/DataForGeeks content/ms/mswin/buildnumbers.json.
const (
	srcHistory = "Windows update history https://aka.ms/WindowsUpdateHistory (mirror: https://github.com/altrhombus/DataForGeeks/blob/main/content/ms/mswin/buildnumbers.json)"

	srcMS17010    = "corpus shared/corpora/vuln/windows/{ms17-010-bulletin-kbs.tsv,ms17-010-any-of-kbs.txt,ms17-010-srv.sys-min-version.tsv} (SOURCES.md: MS17-010 bulletin, Azure AD Connect Health FAQ, KB4023262); KB4023262 https://support.microsoft.com/help/4023262"
	srcMS17010UBR = srcMS17010 + "; UBR from " + srcHistory + ": KB4012606 = 10240.17319, KB4013198 = 10586.839, KB4013429 = 14393.953"

	srcBlueKeep   = "MSRC Japan, 2019-11-25 https://msrc-blog.microsoft.com/2019/11/25/rdpvulnerabilities/ (XP/2003: KB4500705 guidance; 2008: KB4499149 rollup, KB4499180 security-only; 7/2008 R2: KB4499164 rollup, KB4499175 security-only; 2012, 8.1, 10 not affected); MSRC CNA record https://github.com/CVEProject/cvelistV5/blob/main/cves/2019/0xxx/CVE-2019-0708.json"
	srcBlueKeepXP = srcBlueKeep + "; KB4500331 (XP/2003 update): https://support.microsoft.com/help/4500331, https://nishikiout.net/entry/cve-2019-0708"
	srcZerologon  = "MSRC CNA record https://github.com/CVEProject/cvelistV5/blob/main/cves/2020/1xxx/CVE-2020-1472.json (affected: 2008 R2 SP1, 2012, 2012 R2, 2016, 2019, 1903, 1909, 2004, 20H2); KB4557222 https://support.microsoft.com/help/4557222"
	srcPrintN     = "MSRC CNA record https://github.com/CVEProject/cvelistV5/blob/main/cves/2021/34xxx/CVE-2021-34527.json; per-OS July 2021 KBs with support.microsoft.com links: https://www.bleepingcomputer.com/news/security/microsoft-printnightmare-security-updates-work-start-patching/"
	srcSMBGhost   = "MSRC CNA record https://github.com/CVEProject/cvelistV5/blob/main/cves/2020/0xxx/CVE-2020-0796.json (affected: Windows 10 1903/1909 and Server 1903/1909 only); " + srcHistory + ": March 12, 2020—KB4551762 (OS Builds 18362.720 and 18363.720)"
	catalog2008R2 = "https://catalog.s.download.windowsupdate.com/c/msdownload/update/software/secu/2020/08/windows6.1-kb4571719-x64_5288d4c665b6d47f6fa9ff221b4b75a81a907ff1.msu"
	catalog2012   = "https://catalog.s.download.windowsupdate.com/d/msdownload/update/software/secu/2020/08/windows8-rt-kb4571702-x64_31d0c26c78ed003e20c197b9f35869069f5f4b56.msu"
	catalog2012R2 = "https://catalog.s.download.windowsupdate.com/c/msdownload/update/software/secu/2020/08/windows8.1-kb4571723-x64_5f366bc88992b43b074421fd9b817c543c93e456.msu"
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

// Table is the curated list, most critical for hospitals first. Entries
// are matched in order: the first whose Platform matches the host decides.
var Table = []Vulnerability{
	{
		ID: "MS17-010", Title: "SMBv1 remote code execution (EternalBlue, WannaCry)",
		CVEs:        []string{"CVE-2017-0143", "CVE-2017-0144", "CVE-2017-0145", "CVE-2017-0146", "CVE-2017-0147", "CVE-2017-0148"},
		Severity:    "CRITICAL",
		Remediation: "Install the MS17-010 update for this OS (or any later cumulative/monthly rollup) and disable SMBv1.",
		Fixes: []Fix{
			{Platform: xp, KBs: []string{"KB4012598"}, File: "srv.sys", MinFile: "5.1.2600.7208", Source: srcMS17010, Confidence: confCorpus},
			{Platform: srv2003, KBs: []string{"KB4012598"}, File: "srv.sys", MinFile: "5.2.3790.6021", Source: srcMS17010, Confidence: confCorpus},
			{Platform: vista08, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.0.6002.19743", MinFileLDR: "6.0.6002.24067", Source: srcMS17010, Confidence: confCorpus},
			{Platform: win7, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.1.7601.23689", Source: srcMS17010 + " (Win7/2008 R2 row: 4012212/4012215 = srv.sys 6.1.7601.23689, read on the page)", Confidence: confCorpus},
			{Platform: win8, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.2.9200.22099", Source: srcMS17010, Confidence: confCorpus},
			{Platform: win81, KBs: ms17010AnyOf, File: "srv.sys", MinFile: "6.3.9600.18604", Source: srcMS17010, Confidence: confCorpus},
			{Platform: w10_1507, KBs: ms17010AnyOf, MinUBR: 17319, File: "srv.sys", MinFile: "10.0.10240.17319", Source: srcMS17010UBR, Confidence: confCorpus},
			{Platform: w10_1511, KBs: ms17010AnyOf, MinUBR: 839, File: "srv.sys", MinFile: "10.0.10586.839", Source: srcMS17010UBR, Confidence: confCorpus},
			{Platform: w10_1607, KBs: ms17010AnyOf, MinUBR: 953, File: "srv.sys", MinFile: "10.0.14393.953", Source: srcMS17010UBR, Confidence: confCorpus},
			{Platform: w10later, NotAffected: true, Source: srcMS17010 + " (ms17-010-srv.sys-min-version.tsv: 1703 and later released patched)", Confidence: confCorpus},
		},
	},
	{
		ID: "CVE-2019-0708", Title: "BlueKeep: Remote Desktop Services pre-authentication RCE",
		CVEs: []string{"CVE-2019-0708"}, Severity: "CRITICAL",
		Remediation: "Install the May 2019 update (or a later monthly rollup); enable Network Level Authentication; block TCP 3389 from untrusted networks.",
		Fixes: []Fix{
			{Platform: xp, KBs: []string{"KB4500331"}, Source: srcBlueKeepXP, Confidence: confVerified},
			{Platform: srv2003, KBs: []string{"KB4500331"}, Source: srcBlueKeepXP, Confidence: confVerified},
			// Microsoft lists Server 2008 SP2 only; Vista shares its 6.0 build and updates.
			{Platform: vista08, KBs: []string{"KB4499180", "KB4499149"}, Source: srcBlueKeep, Confidence: confVerified},
			{Platform: win7, KBs: []string{"KB4499175", "KB4499164"}, Source: srcBlueKeep, Confidence: confVerified},
			{Platform: win8, NotAffected: true, Source: srcBlueKeep + " (Windows 8 and later not affected)", Confidence: confVerified},
			{Platform: win81, NotAffected: true, Source: srcBlueKeep, Confidence: confVerified},
			{Platform: anyLater, NotAffected: true, Source: srcBlueKeep, Confidence: confVerified},
		},
	},
	{
		ID: "CVE-2020-1472", Title: "Zerologon: Netlogon elevation of privilege (domain controllers)",
		CVEs: []string{"CVE-2020-1472"}, Severity: "CRITICAL", DomainControllerOnly: true,
		Remediation: "Install the August 2020 (or later) update on every domain controller and enforce secure Netlogon RPC (KB4557222).",
		Fixes: []Fix{
			{Platform: Platform{Name: "Windows Server 2008 SP2", MajorMinor: "6.0", Server: 2}, KBs: []string{"KB4571730", "KB4571746"}, Source: srcZerologon + "; not verified: the MSRC record does not list Server 2008 SP2 as affected, and no source ties KB4571730/KB4571746 to this CVE (KB4571730 is the August 2020 2008 SP2 rollup per MSRC's September 2020 supersedence data)", Confidence: confUnverified},
			{Platform: Platform{Name: "Windows Server 2008 R2 SP1", MajorMinor: "6.1", Server: 2}, KBs: []string{"KB4571729", "KB4571719"}, Source: srcZerologon + "; KB4571719 (security-only) is the 6.1 package " + catalog2008R2 + "; not verified: KB4571729 as its monthly rollup is named only by third-party DC check scripts", Confidence: confUnverified},
			{Platform: Platform{Name: "Windows Server 2012", MajorMinor: "6.2", Server: 2}, KBs: []string{"KB4571736", "KB4571702"}, Source: srcZerologon + "; KB4571702 (security-only) is the 6.2 package " + catalog2012 + "; not verified: KB4571736 as its monthly rollup is named only by third-party DC check scripts", Confidence: confUnverified},
			{Platform: Platform{Name: "Windows Server 2012 R2", MajorMinor: "6.3", Server: 2}, KBs: []string{"KB4571703", "KB4571723"}, Source: srcZerologon + "; KB4571723 (security-only) is the 6.3 package " + catalog2012R2 + "; not verified: KB4571703 as its monthly rollup is named only by third-party DC check scripts", Confidence: confUnverified},
			{Platform: Platform{Name: "Windows Server 2016", MajorMinor: "10.0", Builds: []int{14393}, Server: 2}, KBs: []string{"KB4571694"}, MinUBR: 3866, Source: srcZerologon + "; " + srcHistory + ": August 11, 2020—KB4571694 (OS Build 14393.3866)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows Server 2019", MajorMinor: "10.0", Builds: []int{17763}, Server: 2}, KBs: []string{"KB4565349"}, MinUBR: 1397, Source: srcZerologon + "; " + srcHistory + ": August 11, 2020—KB4565349 (OS Build 17763.1397)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows Server 1903/1909", MajorMinor: "10.0", Builds: []int{18362, 18363}, Server: 2}, KBs: []string{"KB4565351"}, MinUBR: 1016, Source: srcZerologon + "; " + srcHistory + ": August 11, 2020—KB4565351 (OS Builds 18362.1016 and 18363.1016)", Confidence: confVerified},
			// 20H2 (19042) is listed as affected by MSRC; it is serviced by the
			// same cumulative updates as 2004 from 19042.572 on, so the 2004 UBR holds.
			{Platform: Platform{Name: "Windows Server 2004/20H2", MajorMinor: "10.0", Builds: []int{19041, 19042}, Server: 2}, KBs: []string{"KB4566782"}, MinUBR: 450, Source: srcZerologon + "; " + srcHistory + ": August 11, 2020—KB4566782 (OS Build 19041.450); October 2020 CUs cover 19041 and 19042 at the same UBR", Confidence: confVerified},
			{Platform: Platform{Name: "Windows Server 2022 and later", MajorMinor: "10.0", Server: 2}, NotAffected: true, Source: srcZerologon + " (2022 and later are not in the affected list; EOL semi-annual servers 1709/1803 also fall here because MSRC does not list them)", Confidence: confVerified},
		},
	},
	{
		ID: "CVE-2021-34527", Title: "PrintNightmare: Print Spooler remote code execution",
		CVEs: []string{"CVE-2021-34527"}, Severity: "HIGH",
		Remediation: "Install the July 2021 out-of-band update (or later); disable the Print Spooler where printing is not needed; set PointAndPrint NoWarningNoElevationOnInstall=0.",
		Fixes: []Fix{
			{Platform: Platform{Name: "Windows Server 2008 SP2", MajorMinor: "6.0"}, KBs: []string{"KB5004955", "KB5004959"}, Source: srcPrintN + " (KB5004955 rollup, KB5004959 security-only)", Confidence: confVerified},
			{Platform: win7, KBs: []string{"KB5004953", "KB5004951"}, Source: srcPrintN + " (KB5004953 rollup, KB5004951 security-only)", Confidence: confVerified},
			{Platform: win8, KBs: []string{"KB5004956", "KB5004960"}, Source: srcPrintN + " (Server 2012: KB5004956 rollup, KB5004960 security-only)", Confidence: confVerified},
			{Platform: win81, KBs: []string{"KB5004954", "KB5004958"}, Source: srcPrintN + " (KB5004954 rollup, KB5004958 security-only)", Confidence: confVerified},
			{Platform: w10_1507, KBs: []string{"KB5004950"}, MinUBR: 18969, Source: srcPrintN + "; " + srcHistory + ": July 6, 2021—KB5004950 (OS Build 10240.18969)", Confidence: confVerified},
			{Platform: w10_1607, KBs: []string{"KB5004948"}, MinUBR: 4470, Source: srcPrintN + "; " + srcHistory + ": July 7, 2021—KB5004948 (OS Build 14393.4470)", Confidence: confVerified},
			{Platform: w10_1809, KBs: []string{"KB5004947"}, MinUBR: 2029, Source: srcPrintN + "; " + srcHistory + ": July 6, 2021—KB5004947 (OS Build 17763.2029)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows 10 1909", MajorMinor: "10.0", Builds: []int{18363}}, KBs: []string{"KB5004946"}, MinUBR: 1646, Source: srcPrintN + "; " + srcHistory + ": July 6, 2021—KB5004946 (OS Build 18363.1646)", Confidence: confVerified},
			{Platform: w10_20xx, KBs: []string{"KB5004945"}, MinUBR: 1083, Source: srcPrintN + "; " + srcHistory + ": July 6, 2021—KB5004945 (OS Builds 19041.1083, 19042.1083, and 19043.1083)", Confidence: confVerified},
			// Builds released after July 2021 that MSRC's record still lists
			// as affected below a build: the threshold is MSRC's, the KB is the
			// update that produced that build.
			{Platform: Platform{Name: "Windows 10 21H2", MajorMinor: "10.0", Builds: []int{19044}}, KBs: []string{"KB5008212"}, MinUBR: 1415, Source: srcPrintN + " (affected below 10.0.19044.1415); " + srcHistory + ": December 14, 2021—KB5008212 (OS Builds 19041.1415, 19042.1415, 19043.1415, and 19044.1415)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows 10 22H2", MajorMinor: "10.0", Builds: []int{19045}}, KBs: []string{"KB5019959"}, MinUBR: 2251, Source: srcPrintN + " (affected below 10.0.19045.2251); " + srcHistory + ": November 8, 2022—KB5019959 (OS Builds 19042.2251, 19043.2251, 19044.2251, and 19045.2251)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows Server 2022", MajorMinor: "10.0", Builds: []int{20348}}, KBs: []string{"KB5005575"}, MinUBR: 230, Source: srcPrintN + " (affected below 10.0.20348.230); " + srcHistory + ": September 14, 2021—KB5005575 (OS Build 20348.230)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows 11 21H2", MajorMinor: "10.0", Builds: []int{22000}}, KBs: []string{"KB5007215"}, MinUBR: 318, Source: srcPrintN + " (affected below 10.0.22000.318); " + srcHistory + ": November 9, 2021—KB5007215 (OS Build 22000.318)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows 11 22H2", MajorMinor: "10.0", Builds: []int{22621}}, KBs: []string{"KB5018427"}, MinUBR: 674, Source: srcPrintN + " (affected below 10.0.22621.674); " + srcHistory + ": October 11, 2022—KB5018427 (OS Build 22621.674)", Confidence: confVerified},
			// End-of-life builds that received no fix: vulnerable until upgraded.
			{Platform: Platform{Name: "Windows 10 1511, 1703-1903 (no fix released)", MajorMinor: "10.0", Builds: []int{10586, 15063, 16299, 17134, 18362}}, Source: srcHistory + ": the last updates for builds 10586 (2018-04), 15063 (2021-03), 16299 (2020-10), 17134 (2021-05) and 18362 (2020-12) predate the July 2021 fix; " + srcPrintN, Confidence: confVerified},
			{Platform: anyLater, NotAffected: true, Source: srcPrintN + " (no other build is in MSRC's affected list: later builds were released with the fix)", Confidence: confVerified},
		},
	},
	{
		ID: "CVE-2020-0796", Title: "SMBGhost: SMBv3.1.1 compression remote code execution",
		CVEs: []string{"CVE-2020-0796"}, Severity: "CRITICAL",
		Remediation: "Install KB4551762 (or any later cumulative update); until then set LanmanServer\\Parameters DisableCompression=1 and block TCP 445.",
		Fixes: []Fix{
			{Platform: w10_19xx, KBs: []string{"KB4551762"}, MinUBR: 720, Source: srcSMBGhost, Confidence: confVerified},
			{Platform: anyLater, NotAffected: true, Source: srcSMBGhost + " (only 1903/1909 affected)", Confidence: confVerified},
			{Platform: Platform{Name: "Windows 8.1 and earlier", MajorMinor: ""}, NotAffected: true, Source: srcSMBGhost, Confidence: confVerified},
		},
	},
}
