package proto

import (
	"bytes"
	"strconv"
	"strings"
)

// HTTPRequest is one HTTP/1.x request with (up to a limit) its body.
type HTTPRequest struct {
	Method, URI, Version string
	Host, UserAgent      string
	ContentType          string
	ContentLength        int64
	Headers              [][2]string // first 32 headers, names lower-cased
	Body                 []byte      // up to Limits.HTTPBody
	BodyTruncated        bool
}

// HTTPResponse is one HTTP/1.x response; it is emitted when its body has
// been read (or the kept part is full), so Body holds up to
// Limits.HTTPBody bytes of a textual body (none for binary content types).
type HTTPResponse struct {
	Version       string
	Status        int
	ContentType   string
	Server        string
	ContentLength int64
	Headers       [][2]string
	Body          []byte
	BodyTruncated bool
}

func (*HTTPRequest) isRecord()  {}
func (*HTTPResponse) isRecord() {}

// Header returns the first value of a header (name in lower case).
func (r *HTTPRequest) Header(name string) string { return header(r.Headers, name) }

// Header returns the first value of a header (name in lower case).
func (r *HTTPResponse) Header(name string) string { return header(r.Headers, name) }

func header(h [][2]string, name string) string {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

const maxHeaders = 32

type httpDir struct {
	head    buffer
	inBody  bool
	remain  int64 // body bytes left (content-length mode)
	chunked bool
	chunk   chunkState
	toClose bool // body runs to connection close
	req     *HTTPRequest
	resp    *HTTPResponse
	keepIt  bool // the body is textual: keep it for inspection
	body    []byte
	trunc   bool
}

// Textual reports whether a content type is worth inspecting for
// identifiers and JSON-RPC: text, JSON, XML, forms, or unspecified.
// Binary bodies (images, archives, updates) are skipped, which also keeps
// memory per flow small.
func Textual(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") ||
		strings.Contains(ct, "x-www-form-urlencoded") || strings.Contains(ct, "multipart/form-data") || strings.Contains(ct, "csv")
}

type chunkState struct {
	left    int64 // bytes left in the current chunk
	line    []byte
	trailer bool
	crlf    int // bytes of CRLF to skip after a chunk
}

type httpStream struct {
	lim     *Limits
	emit    Emit
	d       [2]httpDir
	methods []string // requests awaiting a response, for HEAD
}

func newHTTP(lim *Limits, emit Emit) *httpStream {
	h := &httpStream{lim: lim, emit: emit}
	h.d[0].head.max, h.d[1].head.max = lim.HTTPHeaders, lim.HTTPHeaders
	return h
}

func (h *httpStream) Gap(dir int) {
	d := &h.d[dir]
	if d.resp != nil { // report what arrived before the hole
		d.trunc = true
		h.emitResp(dir, d)
	}
	d.head.dead = true
}

func (h *httpStream) Data(dir int, p []byte) {
	d := &h.d[dir]
	for len(p) > 0 && !d.head.dead {
		if d.inBody {
			p = h.body(dir, d, p)
			continue
		}
		// accumulate the head up to the blank line
		start := len(d.head.b)
		take := min(len(p), d.head.max-start)
		if take <= 0 {
			d.head.dead = true
			return
		}
		d.head.b = append(d.head.b, p[:take]...)
		i := bytes.Index(d.head.b[max(0, start-3):], []byte("\r\n\r\n"))
		if i < 0 {
			if take < len(p) {
				d.head.dead = true
			}
			return
		}
		end := max(0, start-3) + i + 4
		rest := p[end-start:]
		h.parseHead(dir, d, d.head.b[:end])
		d.head.b = d.head.b[:0]
		p = rest
	}
}

func (h *httpStream) parseHead(dir int, d *httpDir, head []byte) {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\r\n")
	first := strings.SplitN(lines[0], " ", 3)
	if len(first) < 2 {
		d.head.dead = true
		return
	}
	var hdrs [][2]string
	var clen int64 = -1
	chunked := false
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "content-length":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				clen = n
			}
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(v), "chunked")
		}
		if len(hdrs) < maxHeaders {
			hdrs = append(hdrs, [2]string{k, v})
		}
	}
	d.chunked, d.chunk, d.toClose, d.remain = chunked, chunkState{}, false, 0
	d.body, d.trunc = nil, false
	if dir == ToServer {
		if len(first) < 3 || !strings.HasPrefix(first[2], "HTTP/") {
			d.head.dead = true
			return
		}
		r := &HTTPRequest{Method: first[0], URI: first[1], Version: first[2], Headers: hdrs, ContentLength: clen}
		r.Host, r.UserAgent, r.ContentType = header(hdrs, "host"), header(hdrs, "user-agent"), header(hdrs, "content-type")
		if len(h.methods) < 64 {
			h.methods = append(h.methods, r.Method)
		}
		d.keepIt = Textual(r.ContentType)
		switch {
		case chunked:
			d.inBody, d.req = true, r
		case clen > 0:
			d.inBody, d.remain, d.req = true, clen, r
		default:
			h.emit(dir, r)
		}
		return
	}
	if !strings.HasPrefix(first[0], "HTTP/") {
		d.head.dead = true
		return
	}
	st, _ := strconv.Atoi(first[1])
	r := &HTTPResponse{Version: first[0], Status: st, Headers: hdrs, ContentLength: clen}
	r.ContentType, r.Server = header(hdrs, "content-type"), header(hdrs, "server")
	method := ""
	if len(h.methods) > 0 {
		method = h.methods[0]
		if st >= 200 {
			h.methods = h.methods[1:]
		}
	}
	// Responses nearly always name their type; one without is usually a
	// download, so only declared textual bodies are kept.
	d.keepIt = r.ContentType != "" && Textual(r.ContentType)
	switch {
	case method == "HEAD" || st < 200 || st == 204 || st == 304 || clen == 0:
		h.emit(dir, r)
	case chunked:
		d.inBody, d.resp = true, r
	case clen > 0:
		d.inBody, d.remain, d.resp = true, clen, r
	default:
		d.inBody, d.toClose, d.resp = true, true, r
	}
}

// body consumes body bytes and returns what follows the body.
func (h *httpStream) body(dir int, d *httpDir, p []byte) []byte {
	switch {
	case d.toClose:
		h.keep(d, p)
		return nil
	case d.chunked:
		return h.chunked(dir, d, p)
	}
	n := int(min(int64(len(p)), d.remain))
	h.keep(d, p[:n])
	d.remain -= int64(n)
	if d.remain == 0 {
		h.endBody(dir, d)
	}
	return p[n:]
}

func (h *httpStream) keep(d *httpDir, p []byte) {
	if d.req == nil && d.resp == nil || len(p) == 0 {
		return
	}
	if !d.keepIt {
		d.trunc = true
		return
	}
	if d.body == nil {
		n := h.lim.HTTPBody
		if d.remain > 0 && d.remain < int64(n) {
			n = int(d.remain)
		}
		d.body = make([]byte, 0, min(n, max(len(p), 4096)))
	}
	room := h.lim.HTTPBody - len(d.body)
	if len(p) > room {
		p, d.trunc = p[:room], true
	}
	d.body = append(d.body, p...)
	if d.toClose && d.trunc && d.resp != nil {
		// A body that runs to the connection's end: report what we kept now.
		h.emitResp(ToClient, d)
	}
}

func (h *httpStream) emitResp(dir int, d *httpDir) {
	d.resp.Body, d.resp.BodyTruncated = d.body, d.trunc
	h.emit(dir, d.resp)
	d.resp, d.body = nil, nil
}

func (h *httpStream) endBody(dir int, d *httpDir) {
	switch {
	case d.req != nil:
		d.req.Body, d.req.BodyTruncated = d.body, d.trunc
		h.emit(dir, d.req)
	case d.resp != nil:
		h.emitResp(dir, d)
	}
	d.inBody, d.req, d.resp, d.body, d.trunc = false, nil, nil, nil, false
}

// End reports a response whose body ran to the end of the connection.
func (h *httpStream) End() {
	for dir := range h.d {
		if d := &h.d[dir]; d.resp != nil {
			h.emitResp(dir, d)
		}
	}
}

func (h *httpStream) chunked(dir int, d *httpDir, p []byte) []byte {
	c := &d.chunk
	for len(p) > 0 {
		switch {
		case c.crlf > 0:
			p, c.crlf = p[1:], c.crlf-1
		case c.left > 0:
			n := int(min(int64(len(p)), c.left))
			h.keep(d, p[:n])
			c.left -= int64(n)
			p = p[n:]
			if c.left == 0 {
				c.crlf = 2
			}
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				if len(c.line)+len(p) > 1024 {
					d.head.dead = true
					return nil
				}
				c.line = append(c.line, p...)
				return nil
			}
			line := strings.TrimSpace(string(append(c.line, p[:i]...)))
			c.line, p = c.line[:0], p[i+1:]
			if c.trailer {
				if line == "" {
					h.endBody(dir, d)
					d.chunk = chunkState{}
					return p
				}
				continue
			}
			size, _, _ := strings.Cut(line, ";")
			n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
			if err != nil || n < 0 {
				d.head.dead = true
				return nil
			}
			if n == 0 {
				c.trailer = true
				continue
			}
			c.left = n
		}
	}
	return nil
}
