package version

import "strings"

// APK is a parsed Alpine package version:
// number{.number}[letter]{_suffix[number]}[-rN].
type APK struct {
	Nums     []string
	Letter   byte
	Suffixes []apkSuffix
	Rev      string
}

type apkSuffix struct {
	rank int
	num  string
}

// apk-tools orders pre-release suffixes below a plain version and
// post-release ones above it.
var apkSuffixRank = map[string]int{
	"alpha": -4, "beta": -3, "pre": -2, "rc": -1,
	"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5,
}

// ParseAPK parses an Alpine version leniently: unknown suffixes rank as
// plain versions so that a malformed string still orders deterministically.
func ParseAPK(s string) APK {
	var v APK
	if i := strings.LastIndex(s, "-r"); i >= 0 && allDigits(s[i+2:]) {
		v.Rev = strings.TrimLeft(s[i+2:], "0")
		s = s[:i]
	}
	i := 0
	for {
		st := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if st == i {
			break
		}
		v.Nums = append(v.Nums, s[st:i])
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		break
	}
	if i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		v.Letter = s[i]
		i++
	}
	for i < len(s) && s[i] == '_' {
		i++
		st := i
		for i < len(s) && isAlpha(s[i]) {
			i++
		}
		name := s[st:i]
		st = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		v.Suffixes = append(v.Suffixes, apkSuffix{rank: apkSuffixRank[name], num: strings.TrimLeft(s[st:i], "0")})
	}
	return v
}

// CompareAPK compares two Alpine versions; -1, 0 or 1.
func CompareAPK(a, b string) int { return ParseAPK(a).Compare(ParseAPK(b)) }

// Compare orders two Alpine versions as apk-tools does for well-formed
// versions: numeric components (later ones with a leading zero compare as
// decimal fractions), letter, suffixes, then -r revision.
func (v APK) Compare(o APK) int {
	for i := 0; i < len(v.Nums) && i < len(o.Nums); i++ {
		a, b := v.Nums[i], o.Nums[i]
		var c int
		if i > 0 && (strings.HasPrefix(a, "0") || strings.HasPrefix(b, "0")) {
			c = strings.Compare(a, b)
		} else {
			c = cmpDigits(a, b)
		}
		if c != 0 {
			return c
		}
	}
	if len(v.Nums) != len(o.Nums) {
		return sign(len(v.Nums) - len(o.Nums))
	}
	if v.Letter != o.Letter {
		return sign(int(v.Letter) - int(o.Letter))
	}
	for i := 0; i < len(v.Suffixes) || i < len(o.Suffixes); i++ {
		var a, b apkSuffix
		if i < len(v.Suffixes) {
			a = v.Suffixes[i]
		}
		if i < len(o.Suffixes) {
			b = o.Suffixes[i]
		}
		if a.rank != b.rank {
			return sign(a.rank - b.rank)
		}
		if c := cmpDigits(a.num, b.num); c != 0 {
			return c
		}
	}
	return cmpDigits(v.Rev, o.Rev)
}
