package proto

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/medshield/medshield/internal/ioc"
)

// JSONRPC is one JSON-RPC message on a raw TCP stream or in an HTTP body:
// Stratum (mining.subscribe/authorize/submit/notify), the XMRig/xmr-stak
// "login"/"submit"/"job"/"keepalived" dialect, and Ethereum getwork
// (eth_submitLogin, eth_getWork, eth_submitHashrate).
type JSONRPC struct {
	Method  string
	Request bool     // has a method and is sent by the client
	Agent   string   // XMRig "agent" or the user agent in mining.subscribe
	Login   string   // wallet/worker (login, mining.authorize user, eth_submitLogin)
	Algo    []string // requested algorithms (XMRig)
	Hosts   []string // host names found in the parameters (pool names)
}

func (*JSONRPC) isRecord() {}

// MiningMethod reports whether a method belongs to a mining protocol.
func MiningMethod(m string) bool {
	switch m {
	case "mining.subscribe", "mining.authorize", "mining.submit", "mining.notify", "mining.set_difficulty",
		"mining.extranonce.subscribe", "mining.configure", "login", "submit", "job", "keepalived",
		"eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate", "getwork", "getblocktemplate":
		return true
	}
	return false
}

type jsonMsg struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Worker string          `json:"worker"`
}

// ParseJSONRPC parses one JSON object; ok is false when it is not JSON-RPC.
func ParseJSONRPC(line []byte) (*JSONRPC, bool) {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' {
		return nil, false
	}
	var m jsonMsg
	if err := json.Unmarshal(line, &m); err != nil || m.Method == "" {
		return nil, false
	}
	r := &JSONRPC{Method: printable(m.Method, 64), Request: true}
	var params any
	_ = json.Unmarshal(m.Params, &params)
	switch p := params.(type) {
	case map[string]any: // XMRig: {"login":..,"pass":..,"agent":..,"algo":[..]}
		r.Login, _ = p["login"].(string)
		r.Agent, _ = p["agent"].(string)
		if a, ok := p["algo"].([]any); ok {
			for _, x := range a {
				if s, ok := x.(string); ok && len(r.Algo) < 16 {
					r.Algo = append(r.Algo, printable(s, 32))
				}
			}
		}
	case []any:
		if len(p) > 0 {
			s, _ := p[0].(string)
			switch r.Method {
			case "mining.subscribe":
				r.Agent = s
			case "mining.authorize", "eth_submitLogin":
				r.Login = s
			}
		}
	}
	r.Login, r.Agent = printable(r.Login, 128), printable(r.Agent, 128)
	if r.Login == "" && m.Worker != "" {
		r.Login = printable(m.Worker, 128)
	}
	collectHosts(params, &r.Hosts, 0)
	return r, true
}

// collectHosts gathers strings in params that look like host names, as
// pool names travel inside Stratum parameters (nDPI's mining capture has
// "eu1-zcash.flypool.org" in mining.subscribe).
func collectHosts(v any, out *[]string, depth int) {
	if depth > 4 || len(*out) >= 8 {
		return
	}
	switch x := v.(type) {
	case string:
		h := x
		if i := strings.Index(h, "://"); i >= 0 {
			h = h[i+3:]
		}
		if i := strings.LastIndexByte(h, ':'); i > 0 {
			h = h[:i]
		}
		if len(h) <= 253 && strings.Count(h, ".") >= 1 && ioc.Classify(h) == ioc.KindDomain && hasLetterTLD(h) {
			*out = append(*out, strings.ToLower(h))
		}
	case []any:
		for _, e := range x {
			collectHosts(e, out, depth+1)
		}
	case map[string]any:
		for _, e := range x {
			collectHosts(e, out, depth+1)
		}
	}
}

func hasLetterTLD(h string) bool {
	tld := h[strings.LastIndexByte(h, '.')+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			if tld[i] < 'A' || tld[i] > 'Z' {
				return false
			}
		}
	}
	return true
}

type jsonRPCStream struct {
	emit Emit
	buf  [2]buffer
}

func newJSONRPC(lim *Limits, emit Emit) *jsonRPCStream {
	j := &jsonRPCStream{emit: emit}
	j.buf[0].max, j.buf[1].max = 16<<10, 16<<10
	return j
}

func (j *jsonRPCStream) Gap(dir int) { j.buf[dir].dead = true }

func (j *jsonRPCStream) Data(dir int, p []byte) {
	b := &j.buf[dir]
	for len(p) > 0 && !b.dead {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.add(p)
			return
		}
		if !b.add(p[:i]) {
			return
		}
		if r, ok := ParseJSONRPC(b.b); ok {
			r.Request = dir == ToServer
			j.emit(dir, r)
		} else if len(bytes.TrimSpace(b.b)) > 0 && b.b[0] != '{' {
			b.dead = true // not line-delimited JSON after all
		}
		b.b = b.b[:0]
		p = p[i+1:]
	}
}
