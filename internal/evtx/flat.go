package evtx

import (
	"fmt"
	"strings"
)

// Sections of the Sigma view.
const (
	SectionSystem    = "System"
	SectionEventData = "EventData"
	SectionUserData  = "UserData"
)

// walkFlat visits the Sigma view of an Event tree: for each section, each
// (key, value) in document order; list marks unnamed EventData <Data>
// values, which are always a list.
func walkFlat(tree []xnode, visit func(sec, key, val string, list bool), section func(sec string)) {
	var ev *xnode
	for i := range tree {
		if tree[i].kind == xElem {
			ev = &tree[i]
			break
		}
	}
	if ev == nil {
		return
	}
	for si := range ev.children {
		sec := &ev.children[si]
		if sec.kind != xElem {
			continue
		}
		switch sec.name {
		case SectionSystem:
			section(SectionSystem)
			for i := range sec.children {
				el := &sec.children[i]
				if el.kind != xElem {
					continue
				}
				txt := strings.TrimSpace(el.textContent())
				if txt != "" || (len(el.attrs) == 0 && (el.name == "EventID" || el.name == "Channel" || el.name == "Computer")) {
					visit(SectionSystem, el.name, txt, false)
				}
				for _, a := range el.attrs {
					if a.value == "" {
						continue
					}
					v := a.value
					if el.name == "TimeCreated" && a.name == "SystemTime" {
						v = canonTime(v)
					}
					visit(SectionSystem, joinName(el.name, a.name), v, false)
				}
			}
		case SectionEventData:
			section(SectionEventData)
			for i := range sec.children {
				el := &sec.children[i]
				if el.kind != xElem {
					continue
				}
				val := leadingText(el)
				if hasElementChild(el) {
					val = innerXML(el)
				}
				name, named := "", false
				if el.name == "Data" {
					for _, a := range el.attrs {
						if a.name == "Name" {
							name, named = a.value, true
							break
						}
					}
					if !named {
						visit(SectionEventData, "Data", val, true)
						continue
					}
					visit(SectionEventData, name, val, false)
					continue
				}
				visit(SectionEventData, el.name, val, false)
			}
		case SectionUserData:
			section(SectionUserData)
			for i := range sec.children {
				w := &sec.children[i]
				if w.kind != xElem {
					continue
				}
				visit(SectionUserData, "_Root", w.name, false)
				walkLeaves(w, func(el *xnode) {
					visit(SectionUserData, el.name, leadingText(el), false)
					for _, a := range el.attrs {
						visit(SectionUserData, el.name+"_"+a.name, a.value, false)
					}
				})
			}
		}
	}
}

// walkLeaves calls f for every descendant element of w without element children, in document order.
func walkLeaves(w *xnode, f func(*xnode)) {
	for i := range w.children {
		c := &w.children[i]
		if c.kind != xElem {
			continue
		}
		if hasElementChild(c) {
			walkLeaves(c, f)
		} else {
			f(c)
		}
	}
}

func hasElementChild(x *xnode) bool {
	for i := range x.children {
		if x.children[i].kind == xElem {
			return true
		}
	}
	return false
}

// leadingText is the text before the first child element (XML "text").
func leadingText(x *xnode) string {
	s := ""
	for i := range x.children {
		c := &x.children[i]
		if c.kind == xElem {
			break
		}
		if c.kind == xText || c.kind == xCDATA {
			s += c.text
		}
	}
	return s
}

// Flat returns the Sigma view of the record:
//
//	{"System": {...}, "EventData": {...}, "UserData": {...}}
//
// System: element text under the element name, attributes as Element_Attr
// (Provider_Name, TimeCreated_SystemTime, Execution_ProcessID,
// Security_UserID, EventID_Qualifiers); empty attributes and empty elements
// (other than EventID, Channel, Computer) are left out. EventData: named
// <Data Name="X"> under X, unnamed <Data> as the list "Data", other elements
// (Binary) under their name. UserData: the wrapper element's name under
// "_Root", every leaf element under its name and its attributes as
// Leaf_Attr. A repeated name becomes a list. Values are strings or []any of
// strings. A section is present only when the record has it. A record that
// cannot be rendered gives the sections built so far plus "_error".
func (rec *Record) Flat() (out map[string]any) {
	out = make(map[string]any, 3)
	defer func() {
		if p := recover(); p != nil {
			out["_error"] = fmt.Sprintf("internal error: %v", p)
		}
	}()
	var cur map[string]any
	visit := func(sec, key, val string, list bool) {
		if list {
			l, _ := cur[key].([]any)
			cur[key] = append(l, val)
			return
		}
		switch old := cur[key].(type) {
		case nil:
			cur[key] = val
		case string:
			cur[key] = []any{old, val}
		case []any:
			cur[key] = append(old, val)
		}
	}
	section := func(sec string) {
		if m, ok := out[sec].(map[string]any); ok {
			cur = m
			return
		}
		cur = make(map[string]any, 24)
		out[sec] = cur
	}
	err := rec.streamFlat(visit, section)
	if err == errComplex {
		clear(out)
		tree, release, terr := rec.tree()
		walkFlat(tree, visit, section)
		release()
		err = terr
	}
	if err != nil {
		out["_error"] = err.Error()
	}
	return out
}

// Fields returns the Sigma-ready flat map: the System fields (EventID,
// Channel, Provider_Name, Computer, TimeCreated_SystemTime, ...), then the
// EventData and UserData names. A name already set by System is not
// overwritten by EventData or UserData (UserData often has its own Channel).
// A name with several values (unnamed <Data> lists, repeated names) has its
// values joined with "\n", so "contains" matching sees every value. The
// UserData wrapper name is under "_Root". A record that cannot be rendered
// yields the fields built so far.
func (rec *Record) Fields() (out map[string]string) {
	out = make(map[string]string, 32)
	defer func() {
		// A bug must not take a hunt down: keep the fields built so far.
		_ = recover()
	}()
	if rec.streamFields(out) != errComplex {
		return out
	}
	clear(out)
	s := &streamer{fields: out}
	tree, release, _ := rec.tree()
	walkFlat(tree, s.fieldVisit, func(string) {})
	release()
	return out
}

// canonTime rewrites a textual SystemTime (plain records carry it as text,
// with any number of fractional digits) to the 7-digit form used for
// FILETIME values: YYYY-MM-DDTHH:MM:SS.fffffffZ.
func canonTime(s string) string {
	if len(s) == 28 && s[19] == '.' && s[27] == 'Z' {
		return s // already canonical
	}
	s = strings.TrimSpace(s)
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return s
	}
	rest := strings.TrimSuffix(s[19:], "Z")
	frac := ""
	if rest != "" {
		if rest[0] != '.' {
			return s
		}
		frac = rest[1:]
		for _, c := range frac {
			if c < '0' || c > '9' {
				return s
			}
		}
	}
	frac = (frac + "0000000")[:7]
	return s[:10] + "T" + s[11:19] + "." + frac + "Z"
}

// joinName returns element_attr, without allocating for the System names
// every record has.
func joinName(el, at string) string {
	switch el + "\x00" + at {
	case "Provider\x00Name":
		return "Provider_Name"
	case "Provider\x00Guid":
		return "Provider_Guid"
	case "Provider\x00EventSourceName":
		return "Provider_EventSourceName"
	case "TimeCreated\x00SystemTime":
		return "TimeCreated_SystemTime"
	case "Execution\x00ProcessID":
		return "Execution_ProcessID"
	case "Execution\x00ThreadID":
		return "Execution_ThreadID"
	case "Security\x00UserID":
		return "Security_UserID"
	case "EventID\x00Qualifiers":
		return "EventID_Qualifiers"
	case "Correlation\x00ActivityID":
		return "Correlation_ActivityID"
	case "Correlation\x00RelatedActivityID":
		return "Correlation_RelatedActivityID"
	}
	return el + "_" + at
}
