package evtx

import (
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

// The streaming flattener produces the Sigma view without building the
// expanded tree: the record's nodes are walked with their values and each
// field is emitted when its element ends. It follows walkFlat exactly; the
// one case it does not handle (markup inside an EventData <Data>) makes it
// give up, and the caller falls back to the tree.

var errComplex = errors.New("record needs the tree renderer")

type sattr struct {
	name       string
	lit        string // the value when it is one literal (no copy needed)
	start, end int    // else the value's span in frame.attrBuf
}

type sframe struct {
	name     string
	attrs    []sattr
	attrBuf  []byte
	lit      string // direct text when it is one literal so far (then text is empty)
	text     []byte // direct text of the element
	sawChild bool   // an element child started
}

// buf returns the text buffer for appending, moving a literal into it.
func (f *sframe) buf() []byte {
	if f.lit != "" {
		f.text = append(f.text[:0], f.lit...)
		f.lit = ""
	}
	return f.text
}

func (f *sframe) content() string {
	if f.lit != "" {
		return f.lit
	}
	return string(f.text)
}

func (f *sframe) empty() bool { return f.lit == "" && len(f.text) == 0 }

type streamer struct {
	nodes int
	stack []sframe
	depth int    // elements open
	roots int    // top-level elements seen; only the first (Event) counts
	sec   string // current section name at depth 2
	visit func(sec, key, val string, list bool)
	secFn func(sec string)
	err   error

	// Fields mode (no closures, so nothing escapes per record).
	fields map[string]string
	sys    [24]string // keys set by System
	nsys   int
}

var streamerPool = sync.Pool{New: func() any { return new(streamer) }}

// streamFlat runs visit/section over the record's Sigma view. It returns
// errComplex when the record needs the tree path (nothing useful was
// emitted in that case only if the caller discards the output).
func (rec *Record) streamFlat(visit func(sec, key, val string, list bool), section func(sec string)) error {
	s := streamerPool.Get().(*streamer)
	defer streamerPool.Put(s)
	s.nodes, s.depth, s.roots, s.sec, s.err = 0, 0, 0, "", nil
	s.visit, s.secFn = visit, section
	err := s.emit(rec.root, nil, 0)
	s.visit, s.secFn = nil, nil
	if err == nil {
		err = s.err
	}
	return err
}

// streamFields fills out with the Fields view (see Record.Fields).
func (rec *Record) streamFields(out map[string]string) error {
	s := streamerPool.Get().(*streamer)
	defer streamerPool.Put(s)
	s.nodes, s.depth, s.roots, s.sec, s.err = 0, 0, 0, "", nil
	s.fields, s.nsys = out, 0
	s.visit, s.secFn = s.fieldVisit, func(string) {}
	err := s.emit(rec.root, nil, 0)
	s.visit, s.secFn, s.fields = nil, nil, nil
	if err == nil {
		err = s.err
	}
	return err
}

// fieldVisit implements the Fields rules: System names win, repeated
// values are joined with a newline.
func (s *streamer) fieldVisit(sec, key, val string, list bool) {
	out := s.fields
	if sec == SectionSystem {
		if old, ok := out[key]; ok {
			out[key] = old + "\n" + val
			return
		}
		if s.nsys < len(s.sys) {
			s.sys[s.nsys] = key
			s.nsys++
		}
		out[key] = val
		return
	}
	for _, k := range s.sys[:s.nsys] {
		if k == key {
			return
		}
	}
	if old, ok := out[key]; ok {
		out[key] = old + "\n" + val
		return
	}
	out[key] = val
}

func (s *streamer) count() error {
	s.nodes++
	if s.nodes > maxRenderedNodes {
		return errTooLarge
	}
	return nil
}

func (s *streamer) emit(nodes []node, vals *instance, depth int) error {
	if depth > 2*maxDepth {
		return errDepth
	}
	for i := range nodes {
		n := &nodes[i]
		var err error
		switch n.kind {
		case kElement:
			err = s.element(n, vals, depth)
		case kText, kCDATA:
			s.text(n.text)
		case kCharRef:
			if f := s.top(); f != nil {
				f.text = utf8.AppendRune(f.buf(), rune(n.idx))
			}
		case kEntityRef:
			s.text(entity(n.name))
		case kSubst:
			if int(n.idx) >= vals.count() {
				continue
			}
			v := vals.at(n.idx)
			f := s.top()
			switch {
			case v.typ == typeBinXML:
				err = s.emit(v.frag, nil, depth+1)
			case f == nil:
			case v.typ&typeArray != 0:
				f.text = f.buf()
				for j, it := range arrayItems(v) {
					if j > 0 {
						f.text = append(f.text, ',')
					}
					f.text = appendValue(f.text, it)
				}
			case !v.isNull():
				f.text = appendValue(f.buf(), v)
			}
		case kInstance:
			err = s.emit(n.inst.tmpl.nodes, n.inst, depth+1)
		}
		if err != nil {
			return err
		}
		if err := s.count(); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamer) top() *sframe {
	if s.depth == 0 {
		return nil
	}
	return &s.stack[s.depth-1]
}

func (s *streamer) text(t string) {
	f := s.top()
	if f == nil || t == "" {
		return
	}
	if f.empty() {
		f.lit = t
		return
	}
	f.text = append(f.buf(), t...)
}

func (s *streamer) element(n *node, vals *instance, depth int) error {
	if len(n.children) == 1 && n.children[0].kind == kSubst {
		sub := &n.children[0]
		if int(sub.idx) < vals.count() {
			v := vals.at(sub.idx)
			if v.typ&typeArray != 0 {
				for _, it := range arrayItems(v) {
					f := s.start(n, vals)
					f.text = appendValue(f.text, it)
					s.end()
					if err := s.count(); err != nil {
						return err
					}
				}
				return nil
			}
			if sub.optional && v.isNull() {
				return nil
			}
		}
	}
	s.start(n, vals)
	err := s.emit(n.children, vals, depth+1)
	s.end()
	return err
}

// start opens a frame for element n with its attributes evaluated.
func (s *streamer) start(n *node, vals *instance) *sframe {
	if p := s.top(); p != nil {
		p.sawChild = true
	}
	if s.depth == len(s.stack) {
		s.stack = append(s.stack, sframe{})
	}
	f := &s.stack[s.depth]
	s.depth++
	f.name, f.attrs, f.attrBuf, f.text, f.lit, f.sawChild = n.name, f.attrs[:0], f.attrBuf[:0], f.text[:0], "", false
	for i := range n.attrs {
		a := &n.attrs[i]
		if len(a.value) == 1 && a.value[0].kind == kText {
			f.attrs = append(f.attrs, sattr{name: a.name, lit: a.value[0].text})
			continue
		}
		start := len(f.attrBuf)
		var dropped bool
		f.attrBuf, dropped = appendAttrValue(f.attrBuf, a, vals)
		if !dropped {
			f.attrs = append(f.attrs, sattr{name: a.name, start: start, end: len(f.attrBuf)})
		} else {
			f.attrBuf = f.attrBuf[:start]
		}
	}
	if s.depth == 1 {
		s.roots++
	}
	if s.roots > 1 {
		s.sec = ""
		return f
	}
	switch s.depth {
	case 2:
		s.sec = n.name
		if s.sec == SectionSystem || s.sec == SectionEventData || s.sec == SectionUserData {
			s.secFn(s.sec)
		}
	case 3:
		if s.sec == SectionUserData {
			s.visit(SectionUserData, "_Root", n.name, false)
		}
	}
	return f
}

func (f *sframe) attr(i int) string {
	if a := &f.attrs[i]; a.lit != "" || a.start == a.end {
		return a.lit
	}
	return string(f.attrBuf[f.attrs[i].start:f.attrs[i].end])
}

// end closes the top frame and emits its fields.
func (s *streamer) end() {
	f := s.top()
	d := s.depth
	s.depth--
	switch {
	case d == 3 && s.sec == SectionSystem:
		txt := strings.TrimSpace(f.content())
		if txt != "" || (len(f.attrs) == 0 && (f.name == "EventID" || f.name == "Channel" || f.name == "Computer")) {
			s.visit(SectionSystem, f.name, txt, false)
		}
		for i := range f.attrs {
			a := &f.attrs[i]
			v := f.attr(i)
			if v == "" {
				continue
			}
			if f.name == "TimeCreated" && a.name == "SystemTime" {
				v = canonTime(v)
			}
			s.visit(SectionSystem, joinName(f.name, a.name), v, false)
		}
	case d == 3 && s.sec == SectionEventData:
		if f.sawChild {
			s.err = errComplex
			return
		}
		if f.name == "Data" {
			for i, a := range f.attrs {
				if a.name == "Name" {
					s.visit(SectionEventData, f.attr(i), f.content(), false)
					return
				}
			}
			s.visit(SectionEventData, "Data", f.content(), true)
			return
		}
		s.visit(SectionEventData, f.name, f.content(), false)
	case d >= 4 && s.sec == SectionUserData && !f.sawChild:
		s.visit(SectionUserData, f.name, f.content(), false)
		for i, a := range f.attrs {
			s.visit(SectionUserData, f.name+"_"+a.name, f.attr(i), false)
		}
	}
}

// appendAttrValue renders an attribute's value; dropped reports an
// attribute made only of optional null substitutions.
func appendAttrValue(dst []byte, a *attr, vals *instance) ([]byte, bool) {
	dropped := len(a.value) > 0
	for j := range a.value {
		v := &a.value[j]
		switch v.kind {
		case kText:
			dst = append(dst, v.text...)
			dropped = false
		case kCharRef:
			dst = utf8.AppendRune(dst, rune(v.idx))
			dropped = false
		case kEntityRef:
			dst = append(dst, entity(v.name)...)
			dropped = false
		case kSubst:
			if int(v.idx) >= vals.count() {
				continue
			}
			val := vals.at(v.idx)
			if !(v.optional && val.isNull()) {
				dropped = false
			}
			if val.typ&typeArray != 0 {
				for k, it := range arrayItems(val) {
					if k > 0 {
						dst = append(dst, ',')
					}
					dst = appendValue(dst, it)
				}
			} else if val.typ != typeBinXML {
				dst = appendValue(dst, val)
			}
		}
	}
	return dst, dropped
}
