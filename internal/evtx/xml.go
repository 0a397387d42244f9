package evtx

import (
	"bytes"
	"fmt"
)

// XML renders the record as XML the way Windows tools show it: the Event
// element with the event schema namespace, two-space indentation, one
// element per line, empty elements as <X/>, text and attributes escaped.
// Predefined entity and character references are resolved into the text and
// escaped again where XML needs it.
func (rec *Record) XML() ([]byte, error) {
	return rec.AppendXML(nil)
}

// AppendXML appends the XML rendering of the record to dst.
func (rec *Record) AppendXML(dst []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = dst, fmt.Errorf("record %d: internal error: %v", rec.ID, p)
		}
	}()
	tree, release, err := rec.tree()
	defer release()
	if err != nil {
		return dst, fmt.Errorf("record %d: %w", rec.ID, err)
	}
	for i := range tree {
		dst = appendXML(dst, &tree[i], 0)
		if tree[i].kind != xText {
			dst = append(dst, '\n')
		}
	}
	return dst, nil
}

func appendXML(dst []byte, x *xnode, indent int) []byte {
	switch x.kind {
	case xText:
		return appendEscaped(dst, x.text, false)
	case xCDATA:
		dst = append(dst, "<![CDATA["...)
		dst = append(dst, x.text...)
		return append(dst, "]]>"...)
	case xPI:
		dst = append(dst, "<?"...)
		dst = append(dst, x.name...)
		if x.text != "" {
			dst = append(dst, ' ')
			dst = append(dst, x.text...)
		}
		return append(dst, "?>"...)
	}
	dst = append(dst, '<')
	dst = append(dst, x.name...)
	for _, a := range x.attrs {
		dst = append(dst, ' ')
		dst = append(dst, a.name...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, a.value, true)
		dst = append(dst, '"')
	}
	if len(x.children) == 0 {
		return append(dst, '/', '>')
	}
	dst = append(dst, '>')
	block := true // children are elements only: one per line
	for i := range x.children {
		if x.children[i].kind == xText || x.children[i].kind == xCDATA {
			block = false
			break
		}
	}
	for i := range x.children {
		if block {
			dst = append(dst, '\n')
			dst = appendIndent(dst, indent+1)
			dst = appendXML(dst, &x.children[i], indent+1)
		} else {
			dst = appendXML(dst, &x.children[i], indent)
		}
	}
	if block {
		dst = append(dst, '\n')
		dst = appendIndent(dst, indent)
	}
	dst = append(dst, '<', '/')
	dst = append(dst, x.name...)
	return append(dst, '>')
}

func appendIndent(dst []byte, n int) []byte {
	for i := 0; i < n; i++ {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

func appendEscaped(dst []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '"' && attr:
			dst = append(dst, "&quot;"...)
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t':
			// Not allowed in XML 1.0 even as a reference: keep it visible.
			dst = append(dst, fmt.Sprintf("\\x%02x", c)...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// innerXML serialises an element's children compactly (for the rare
// EventData Data element that holds markup).
func innerXML(x *xnode) string {
	var b bytes.Buffer
	var dst []byte
	for i := range x.children {
		if x.children[i].kind == xElem {
			dst = appendCompact(dst, &x.children[i])
		}
	}
	b.Write(dst)
	return b.String()
}

func appendCompact(dst []byte, x *xnode) []byte {
	switch x.kind {
	case xText:
		return appendEscaped(dst, x.text, false)
	case xElem:
	default:
		return appendXML(dst, x, 0)
	}
	dst = append(dst, '<')
	dst = append(dst, x.name...)
	for _, a := range x.attrs {
		dst = append(dst, ' ')
		dst = append(dst, a.name...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, a.value, true)
		dst = append(dst, '"')
	}
	if len(x.children) == 0 {
		return append(dst, " />"...)
	}
	dst = append(dst, '>')
	for i := range x.children {
		dst = appendCompact(dst, &x.children[i])
	}
	dst = append(dst, '<', '/')
	dst = append(dst, x.name...)
	return append(dst, '>')
}
