package guard

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ransomExtensions are extensions appended by known ransomware families
// (WannaCry .wncry/.wnry, LockBit .lockbit, Conti, Ryuk .ryk, STOP/Djvu ...).
var ransomExtensions = setOf(
	".wncry", ".wnry", ".wcry", ".wncryt", ".locked", ".encrypted", ".enc", ".crypt", ".crypted",
	".cry", ".crypto", ".cerber", ".locky", ".zepto", ".odin", ".thor", ".aesir", ".zzzzz", ".ryk", ".ryuk",
	".lockbit", ".conti", ".hive", ".babyk", ".phobos", ".dharma", ".wallet", ".arena", ".djvu", ".stop",
	".rumba", ".makop", ".mallox", ".akira", ".royal", ".blackcat", ".sodinokibi", ".revil", ".petya",
	".gandcrab", ".krab", ".medusa", ".play", ".clop", ".crab", ".encrypt", ".kraken", ".lockfile",
)

// knownExtensions are ordinary file types; a rename to one of them is not a
// "new extension" (rsync, editors and downloads rename temp files to these).
var knownExtensions = setOf(
	".txt", ".csv", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".pdf", ".rtf", ".odt", ".ods",
	".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".dcm", ".hl7", ".xml", ".json", ".html",
	".htm", ".md", ".log", ".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bak", ".db", ".sqlite",
	".go", ".c", ".h", ".o", ".a", ".so", ".py", ".js", ".ts", ".java", ".class", ".jar", ".exe", ".dll",
	".gpg", ".asc", ".pgp", ".tmp", ".part", ".old", ".orig", ".new", ".swp", ".yml", ".yaml", ".ini",
	".cfg", ".conf", ".mp4", ".mov", ".avi", ".wav", ".mp3", ".heic", ".raw", ".cr2", ".nef", ".webp",
	".sql", ".wal", ".shm", ".journal", ".idx", ".pack", ".rev", ".sample",
)

func setOf(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

var notePattern = regexp.MustCompile(`(?i)(readme|read_me|read-me|decrypt|restore|recover|how[_\-. ]?to|instruction|ransom|unlock|your[_\-. ]?files|help[_\-. ]?(me|files)|!!!|attention|warning)`)

// isRansomNote reports whether a file name looks like a ransom note.
func isRansomNote(path string) bool {
	base := filepath.Base(path)
	ext := strings.ToLower(filepath.Ext(base))
	switch ext {
	case ".txt", ".html", ".htm", ".hta", ".rtf", ".url", "":
	default:
		return false
	}
	return notePattern.MatchString(strings.TrimSuffix(base, filepath.Ext(base)))
}

// recoveryPatterns are commands that destroy the means of recovery: shadow
// copies and the backup catalogue on Windows, snapshots and backups on Linux.
var recoveryPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)vssadmin(\.exe)?["']?\s+(delete\s+shadows|resize\s+shadowstorage)`),
	regexp.MustCompile(`(?i)wmic(\.exe)?["']?\s+.*shadowcopy\s+delete`),
	regexp.MustCompile(`(?i)wbadmin(\.exe)?["']?\s+delete\s+(catalog|systemstatebackup|backup)`),
	regexp.MustCompile(`(?i)bcdedit(\.exe)?["']?\s+.*(recoveryenabled\s+no|bootstatuspolicy\s+ignoreallfailures)`),
	regexp.MustCompile(`(?i)Get-WmiObject\s+Win32_Shadowcopy.*Delete|Remove-CimInstance.*Win32_ShadowCopy`),
	regexp.MustCompile(`(?i)\blvremove\b.*snap`),
	regexp.MustCompile(`(?i)\bbtrfs\s+subvolume\s+delete\b.*snap`),
	regexp.MustCompile(`(?i)\bzfs\s+destroy\b.*@`),
	regexp.MustCompile(`(?i)\b(snapper|timeshift)\b.*\bdelete\b`),
	regexp.MustCompile(`(?i)\brm\b\s+(-[a-z]*r[a-z]*f?|-[a-z]*f[a-z]*r)\b.*(backup|snapshot|\.snapshots|timeshift)`),
}

// isRecoveryInhibition reports whether a command line destroys backups or
// shadow copies.
func isRecoveryInhibition(cmdline string) bool {
	for _, re := range recoveryPatterns {
		if re.MatchString(cmdline) {
			return true
		}
	}
	return false
}

// isBackupPath reports whether a path is inside a backup or snapshot folder.
func isBackupPath(path string) bool {
	lower := strings.ToLower(path)
	for _, part := range strings.Split(lower, string(os.PathSeparator)) {
		switch {
		case part == ".snapshots", part == "snapshots", part == "timeshift", strings.HasPrefix(part, "backup"), strings.HasSuffix(part, "backup"), strings.HasSuffix(part, "backups"):
			return true
		}
	}
	return false
}

// isShell reports whether an executable is a command interpreter, whose
// parent is the real actor of the commands it runs.
func isShell(exe string) bool {
	switch strings.ToLower(strings.TrimSuffix(filepath.Base(exe), ".exe")) {
	case "sh", "bash", "dash", "zsh", "ash", "busybox", "cmd", "powershell", "pwsh":
		return true
	}
	return false
}

// toolInternal reports paths inside version-control metadata.
func toolInternal(path string) bool {
	sep := string(os.PathSeparator)
	for _, d := range []string{".git", ".svn", ".hg"} {
		if strings.Contains(path, sep+d+sep) {
			return true
		}
	}
	return false
}
