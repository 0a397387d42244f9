package proto

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// SMB1 commands the detectors use.
const (
	SMB1Transaction    = 0x25
	SMB1Echo           = 0x2b
	SMB1ReadAndX       = 0x2e
	SMB1WriteAndX      = 0x2f
	SMB1Trans2         = 0x32
	SMB1Trans2Second   = 0x33
	SMB1Negotiate      = 0x72
	SMB1SessionSetup   = 0x73
	SMB1TreeConnect    = 0x75
	SMB1NTTrans        = 0xa0
	SMB1NTTransSecond  = 0xa1
	SMB1NTCreate       = 0xa2
	Trans2SessionSetup = 0x000e
)

// SMB2 commands.
const (
	SMB2Negotiate   = 0
	SMB2TreeConnect = 3
	SMB2Create      = 5
	SMB2Read        = 8
	SMB2Write       = 9
	SMB2IOCTL       = 11
)

// SMB is one SMB1 or SMB2 message (one element of an SMB2 compound).
type SMB struct {
	Version   int // 1, 2, or 3 for an encrypted (transform) message
	Command   uint16
	Reply     bool
	Status    uint32
	MID       uint64 // SMB1 multiplex id, SMB2 message id
	TID       uint32
	Dialects  []string // negotiate request
	Dialect   string   // negotiate response (SMB2)
	Share     string   // tree path of the message's tree, if known
	FileName  string   // create / NT create, or the file a write/read targets
	TransName string   // SMB1 Transaction name (\PIPE\...)
	Trans2Sub uint16
	NTFunc    uint16
	Timeout   uint32 // SMB1 Trans/Trans2 timeout field
	// Total and this-message parameter/data counts (SMB1 Trans*, NT Trans).
	TotalParam, TotalData, ParamCount, DataCount uint32
	DataLen                                      int // bytes written/read
	Length                                       int // NetBIOS message length
}

func (*SMB) isRecord() {}

type smbDir struct {
	buf  []byte
	want int // bytes of the current frame still kept
	skip int // bytes of the current frame past our limit
	full int // length of the current frame
	dead bool
}

// smbStream frames NetBIOS session messages and tracks trees, files and
// DCE-RPC contexts on named pipes for one connection.
type smbStream struct {
	lim     *Limits
	emit    Emit
	d       [2]smbDir
	trees   map[uint32]string // tree id → path
	files   map[string]string // file id (SMB2 16 bytes, SMB1 FID) → name
	pending map[uint64]string // request id → path or name awaiting the reply
	ptree   map[uint64]uint32 // request id → tree of a pending create
	dce     map[string]*dceState
}

const smbMaxTrack = 256

func newSMB(lim *Limits, emit Emit) *smbStream {
	return &smbStream{lim: lim, emit: emit, trees: map[uint32]string{}, files: map[string]string{},
		pending: map[uint64]string{}, ptree: map[uint64]uint32{}, dce: map[string]*dceState{}}
}

func (s *smbStream) Gap(dir int) { s.d[dir].dead = true }

func (s *smbStream) Data(dir int, p []byte) {
	d := &s.d[dir]
	for len(p) > 0 && !d.dead {
		if d.skip > 0 {
			n := min(d.skip, len(p))
			d.skip -= n
			p = p[n:]
			continue
		}
		if d.want == 0 { // need the 4-byte NetBIOS header
			need := 4 - len(d.buf)
			n := min(need, len(p))
			d.buf = append(d.buf, p[:n]...)
			p = p[n:]
			if len(d.buf) < 4 {
				return
			}
			h := d.buf
			switch h[0] {
			case 0x00:
			case 0x81, 0x82, 0x83, 0x84, 0x85: // session request/response, keep-alive
			default:
				d.dead = true
				return
			}
			l := int(h[1]&1)<<16 | int(h[2])<<8 | int(h[3])
			d.buf = d.buf[:0]
			if h[0] != 0 {
				d.skip = l
				continue
			}
			if l == 0 {
				continue
			}
			d.full = l
			d.want = min(l, s.lim.Message)
			d.skip = 0
		}
		n := min(d.want-len(d.buf), len(p))
		d.buf = append(d.buf, p[:n]...)
		p = p[n:]
		if len(d.buf) == d.want {
			s.message(dir, d.buf, d.full)
			d.skip = d.full - d.want
			d.buf, d.want = d.buf[:0], 0
		}
	}
}

func (s *smbStream) message(dir int, m []byte, full int) {
	if len(m) < 4 {
		return
	}
	switch string(m[:4]) {
	case "\xffSMB":
		s.smb1(dir, m, full)
	case "\xfeSMB":
		for i := 0; i < 16 && len(m) >= 64; i++ {
			next := int(binary.LittleEndian.Uint32(m[20:24]))
			s.smb2(dir, m, full)
			if next < 64 || next >= len(m) || next%8 != 0 {
				return
			}
			m = m[next:]
		}
	case "\xfdSMB":
		s.emit(dir, &SMB{Version: 3, Length: full})
	}
}

func le16(b []byte, off int) int {
	if off < 0 || off+2 > len(b) {
		return 0
	}
	return int(binary.LittleEndian.Uint16(b[off:]))
}

func le32(b []byte, off int) uint32 {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[off:])
}

// utf16z decodes a NUL-terminated (or bounded) UTF-16LE string at off.
func utf16z(b []byte, off, maxBytes int) string {
	if off < 0 || off >= len(b) {
		return ""
	}
	end := min(len(b), off+maxBytes)
	var u []uint16
	for i := off; i+1 < end && len(u) < 512; i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func asciiz(b []byte, off int) string {
	if off < 0 || off >= len(b) {
		return ""
	}
	e := off
	for e < len(b) && b[e] != 0 && e-off < 512 {
		e++
	}
	return printable(string(b[off:e]), 512)
}

func (s *smbStream) remember(m map[string]string, k, v string) {
	if len(m) < smbMaxTrack {
		m[k] = v
	}
}

func (s *smbStream) smb1(dir int, m []byte, full int) {
	if len(m) < 35 {
		return
	}
	r := &SMB{Version: 1, Command: uint16(m[4]), Status: le32(m, 5), Reply: m[9]&0x80 != 0,
		TID: uint32(le16(m, 24)), MID: uint64(le16(m, 30)), Length: full}
	unicode := le16(m, 10)&0x8000 != 0
	wc := int(m[32])
	words := m[33:min(len(m), 33+2*wc)]
	bcOff := 33 + 2*wc
	bytesOff := bcOff + 2
	str := func(off int) string {
		if unicode {
			if off%2 == 1 {
				off++
			}
			return utf16z(m, off, 1024)
		}
		return asciiz(m, off)
	}
	r.Share = s.trees[r.TID]
	switch r.Command {
	case SMB1Negotiate:
		if !r.Reply && bytesOff <= len(m) {
			for p := bytesOff; p < len(m) && len(r.Dialects) < 32; {
				if m[p] != 2 {
					break
				}
				d := asciiz(m, p+1)
				r.Dialects = append(r.Dialects, d)
				p += len(d) + 2
			}
		}
	case SMB1TreeConnect:
		if !r.Reply && len(words) >= 8 {
			pw := le16(words, 6)
			path := str(bytesOff + pw)
			r.Share = path
			if len(s.pending) < smbMaxTrack {
				s.pending[r.MID] = path
			}
		} else if r.Reply && r.Status == 0 {
			if p, ok := s.pending[r.MID]; ok && len(s.trees) < smbMaxTrack {
				s.trees[r.TID] = p
				r.Share = p
			}
			delete(s.pending, r.MID)
		}
	case SMB1NTCreate:
		if !r.Reply && len(words) >= 7 {
			r.FileName = str(bytesOff)
			if len(s.pending) < smbMaxTrack {
				s.pending[r.MID] = r.FileName
			}
		} else if r.Reply && len(words) >= 7 {
			if name, ok := s.pending[r.MID]; ok {
				s.remember(s.files, fidKey1(r.TID, words[5:7]), name)
				r.FileName = name
			}
			delete(s.pending, r.MID)
		}
	case SMB1Transaction, SMB1Trans2:
		if !r.Reply && len(words) >= 28 {
			r.TotalParam, r.TotalData = uint32(le16(words, 0)), uint32(le16(words, 2))
			r.Timeout = le32(words, 12)
			r.ParamCount, r.DataCount = uint32(le16(words, 18)), uint32(le16(words, 22))
			setup := int(words[26])
			if r.Command == SMB1Trans2 && setup >= 1 && len(words) >= 30 {
				r.Trans2Sub = uint16(le16(words, 28))
			}
			if r.Command == SMB1Transaction {
				r.TransName = str(bytesOff)
				if setup >= 2 && len(words) >= 32 && le16(words, 28) == 0x26 { // TransactNmPipe
					fid := fidKey1(r.TID, words[30:32])
					r.FileName = s.files[fid]
					off, n := le16(words, 24), int(r.DataCount)
					if off > 0 && off+n <= len(m) {
						s.pipe(dir, fid, r.FileName, m[off:off+n])
					}
				}
			}
		}
	case SMB1Trans2Second:
		if len(words) >= 16 {
			r.TotalParam, r.TotalData = uint32(le16(words, 0)), uint32(le16(words, 2))
			r.ParamCount, r.DataCount = uint32(le16(words, 4)), uint32(le16(words, 10))
		}
	case SMB1NTTrans:
		if !r.Reply && len(words) >= 38 {
			r.TotalParam, r.TotalData = le32(words, 3), le32(words, 7)
			r.ParamCount, r.DataCount = le32(words, 19), le32(words, 27)
			r.NTFunc = uint16(le16(words, 36))
		}
	case SMB1NTTransSecond:
		if len(words) >= 16 {
			r.TotalParam, r.TotalData = le32(words, 3), le32(words, 7)
		}
	case SMB1WriteAndX:
		if !r.Reply && len(words) >= 24 {
			fid := fidKey1(r.TID, words[4:6])
			r.FileName = s.files[fid]
			off, n := le16(words, 22), le16(words, 20)
			r.DataLen = n
			if off > 0 && off <= len(m) {
				s.pipe(dir, fid, r.FileName, m[off:min(len(m), off+n)])
			}
		}
	}
	s.emit(dir, r)
}

func fidKey1(tid uint32, fid []byte) string {
	return string([]byte{1, byte(tid), byte(tid >> 8), fid[0], fid[1]})
}

func (s *smbStream) smb2(dir int, m []byte, full int) {
	r := &SMB{Version: 2, Status: le32(m, 8), Command: uint16(le16(m, 12)), Reply: le32(m, 16)&1 != 0,
		MID: binary.LittleEndian.Uint64(m[24:32]), TID: le32(m, 36), Length: full}
	body := 64
	r.Share = s.trees[r.TID]
	switch r.Command {
	case SMB2Negotiate:
		if !r.Reply {
			n := le16(m, body+2)
			for i := 0; i < n && i < 32; i++ {
				v := le16(m, body+36+2*i)
				if v == 0 {
					break
				}
				r.Dialects = append(r.Dialects, dialectName(v))
			}
		} else {
			r.Dialect = dialectName(le16(m, body+4))
		}
	case SMB2TreeConnect:
		if !r.Reply {
			off, n := le16(m, body+4), le16(m, body+6)
			r.Share = utf16z(m, off, n)
			if len(s.pending) < smbMaxTrack {
				s.pending[r.MID] = r.Share
			}
		} else {
			if p, ok := s.pending[r.MID]; ok && r.Status == 0 && len(s.trees) < smbMaxTrack {
				s.trees[r.TID] = p
				r.Share = p
			}
			delete(s.pending, r.MID)
		}
	case SMB2Create:
		if !r.Reply {
			off, n := le16(m, body+44), le16(m, body+46)
			r.FileName = utf16z(m, off, n)
			if len(s.pending) < smbMaxTrack {
				s.pending[r.MID] = r.FileName
				s.ptree[r.MID] = r.TID
			}
		} else {
			if name, ok := s.pending[r.MID]; ok && r.Status == 0 && body+80 <= len(m) {
				s.remember(s.files, string(m[body+64:body+80]), name)
				r.FileName = name
			}
			delete(s.pending, r.MID)
			delete(s.ptree, r.MID)
		}
	case SMB2Write:
		if !r.Reply && body+32 <= len(m) {
			fid := string(m[body+16 : body+32])
			r.FileName = s.files[fid]
			off, n := le16(m, body+2), int(le32(m, body+4))
			r.DataLen = n
			if off > 0 && off < len(m) {
				s.pipe(dir, fid, r.FileName, m[off:min(len(m), off+n)])
			}
		}
	case SMB2Read:
		if r.Reply && r.Status == 0 {
			r.DataLen = int(le32(m, body+4))
		}
	case SMB2IOCTL:
		if !r.Reply && body+32 <= len(m) && le32(m, body+4) == 0x0011c017 { // FSCTL_PIPE_TRANSCEIVE
			fid := string(m[body+8 : body+24])
			r.FileName = s.files[fid]
			off, n := int(le32(m, body+24)), int(le32(m, body+28))
			if off > 0 && off < len(m) {
				s.pipe(dir, fid, r.FileName, m[off:min(len(m), off+n)])
			}
		}
	}
	s.emit(dir, r)
}

func dialectName(v int) string {
	switch v {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	case 0x02ff:
		return "2.???"
	}
	return "0x" + strings.ToLower(strings.TrimLeft(hex4(v), "0"))
}

func hex4(v int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12&15], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

// pipe hands data written to a named pipe to the DCE-RPC parser.
func (s *smbStream) pipe(dir int, fid, name string, data []byte) {
	st := s.dce[fid]
	if st == nil {
		if len(s.dce) >= smbMaxTrack {
			return
		}
		st = &dceState{ctx: map[uint16]string{}}
		s.dce[fid] = st
	}
	pipeName := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, `\`), `PIPE\`))
	for _, r := range st.parse(data, pipeName) {
		s.emit(dir, r)
	}
}
