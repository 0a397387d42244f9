package sqldb

import "bytes"

// cleanDoc rewrites the \u escapes of an event's JSON that PostgreSQL cannot
// turn into text: \u0000 and unpaired UTF-16 surrogates (possible inside
// "raw", which encoding/json copies verbatim). PostgreSQL accepts them on
// input but then fails every JSON operator on the whole document, so one
// agent could break field searches over its events. They become \ufffd
// (the replacement character) in both dialects, as NUL already does in the
// indexed columns. Everything else is left byte for byte.
func cleanDoc(doc []byte) []byte {
	if !bytes.Contains(doc, []byte(`\u`)) {
		return doc
	}
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); {
		c := doc[i]
		if c != '\\' || i+1 >= len(doc) {
			out = append(out, c)
			i++
			continue
		}
		if doc[i+1] != 'u' {
			out = append(out, doc[i], doc[i+1]) // \" \\ \n ...: never the start of \u
			i += 2
			continue
		}
		r, ok := hex4(doc, i+2)
		if !ok {
			out = append(out, doc[i], doc[i+1])
			i += 2
			continue
		}
		switch {
		case r == 0:
			out = append(out, `\ufffd`...)
			i += 6
		case r >= 0xD800 && r <= 0xDBFF:
			if i+12 <= len(doc) && doc[i+6] == '\\' && doc[i+7] == 'u' {
				if lo, ok := hex4(doc, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					out = append(out, doc[i:i+12]...) // a valid pair
					i += 12
					continue
				}
			}
			out = append(out, `\ufffd`...)
			i += 6
		case r >= 0xDC00 && r <= 0xDFFF:
			out = append(out, `\ufffd`...)
			i += 6
		default:
			out = append(out, doc[i:i+6]...)
			i += 6
		}
	}
	return out
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
