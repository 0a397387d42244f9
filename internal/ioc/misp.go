package ioc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

type mispAttribute struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	ToIDs   *bool  `json:"to_ids"`
	Comment string `json:"comment"`
}

type mispEvent struct {
	Info      string          `json:"info"`
	Attribute []mispAttribute `json:"Attribute"`
	Object    []struct {
		Attribute []mispAttribute `json:"Attribute"`
	} `json:"Object"`
}

type mispDoc struct {
	Event     *mispEvent      `json:"Event"`
	Attribute []mispAttribute `json:"Attribute"`
	Response  json.RawMessage `json:"response"`
}

// loadMISP reads MISP JSON: an event export {"Event":{...}}, a list of
// them, or a REST search result {"response":[...]} / {"response":
// {"Attribute":[...]}}. Attributes with to_ids=false are skipped, as MISP
// marks them unfit for detection.
func (s *Set) loadMISP(data []byte, name string, st *Stats, errs *ErrorList) error {
	li := &lineIndex{data: data, line: 1}
	search := 0
	lineOf := func(v string) int {
		q, _ := json.Marshal(v)
		if i := bytes.Index(data[search:], q); i >= 0 {
			search += i
			return li.at(search)
		}
		return 0
	}
	addAttr := func(a mispAttribute, threat string) {
		if a.ToIDs != nil && !*a.ToIDs {
			st.Skipped++
			return
		}
		inds := mispIndicators(a)
		if inds == nil {
			st.Skipped++
			return
		}
		for _, ind := range inds {
			ind.Threat, ind.Source = threat, name
			if err := s.Add(ind); err != nil {
				errs.add(name, lineOf(a.Value), "attribute type %q: %v", a.Type, err)
			}
		}
	}
	var walk func(raw json.RawMessage, depth int) error
	walk = func(raw json.RawMessage, depth int) error {
		if depth > 4 {
			return fmt.Errorf("nesting too deep")
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		if raw[0] == '[' {
			var list []json.RawMessage
			if err := json.Unmarshal(raw, &list); err != nil {
				return err
			}
			for _, r := range list {
				if err := walk(r, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		var d mispDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		for _, a := range d.Attribute {
			addAttr(a, a.Comment)
		}
		if ev := d.Event; ev != nil {
			for _, a := range ev.Attribute {
				addAttr(a, ev.Info)
			}
			for _, o := range ev.Object {
				for _, a := range o.Attribute {
					addAttr(a, ev.Info)
				}
			}
		}
		return walk(d.Response, depth+1)
	}
	if err := walk(data, 0); err != nil {
		return fmt.Errorf("misp json: %w", err)
	}
	return nil
}

// mispIndicators maps one attribute to indicators; nil means unsupported.
func mispIndicators(a mispAttribute) []Indicator {
	t, v := strings.ToLower(a.Type), strings.TrimSpace(a.Value)
	one := func(k Kind, v string) []Indicator { return []Indicator{{Kind: k, Value: v}} }
	second := func() string {
		if i := strings.IndexByte(v, '|'); i >= 0 {
			return v[i+1:]
		}
		return v
	}
	switch t {
	case "md5", "filename|md5":
		return one(KindMD5, second())
	case "sha1", "filename|sha1":
		return one(KindSHA1, second())
	case "sha256", "filename|sha256":
		return one(KindSHA256, second())
	case "ip-dst", "ip-src":
		k := KindIP
		if strings.IndexByte(v, '/') >= 0 {
			k = KindCIDR
		}
		return one(k, v)
	case "ip-dst|port", "ip-src|port":
		if i := strings.LastIndexByte(v, '|'); i >= 0 {
			return one(KindIPPort, joinHostPort(v[:i], v[i+1:]))
		}
		return one(KindIPPort, v)
	case "domain", "hostname":
		return one(KindDomain, v)
	case "domain|ip", "hostname|port":
		i := strings.IndexByte(v, '|')
		if i < 0 {
			return one(KindDomain, v)
		}
		if t == "hostname|port" {
			return one(KindDomain, v[:i])
		}
		return []Indicator{{Kind: KindDomain, Value: v[:i]}, {Kind: KindIP, Value: v[i+1:]}}
	case "url":
		return one(KindURL, v)
	case "ja3-fingerprint-md5":
		return one(KindJA3, v)
	case "ja4", "ja4-fingerprint":
		return one(KindJA4, v)
	}
	return nil
}
