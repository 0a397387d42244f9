package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// BinXML value types; typeArray is or-ed onto a base type for arrays.
const (
	typeNull       = 0x00
	typeString     = 0x01
	typeAnsi       = 0x02
	typeInt8       = 0x03
	typeUint8      = 0x04
	typeInt16      = 0x05
	typeUint16     = 0x06
	typeInt32      = 0x07
	typeUint32     = 0x08
	typeInt64      = 0x09
	typeUint64     = 0x0a
	typeReal32     = 0x0b
	typeReal64     = 0x0c
	typeBool       = 0x0d
	typeBinary     = 0x0e
	typeGUID       = 0x0f
	typeSizeT      = 0x10
	typeFileTime   = 0x11
	typeSystemTime = 0x12
	typeSID        = 0x13
	typeHex32      = 0x14
	typeHex64      = 0x15
	typeEvtHandle  = 0x20
	typeBinXML     = 0x21
	typeEvtXML     = 0x23
	typeArray      = 0x80
)

const hexUpper = "0123456789ABCDEF"

// fixedSize is the item size of fixed-width types (0 for variable ones).
func fixedSize(t uint8) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHex32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFileTime, typeHex64:
		return 8
	case typeGUID, typeSystemTime:
		return 16
	}
	return 0
}

// isNull reports whether a value renders as nothing.
func (v value) isNull() bool {
	if v.typ == typeBinXML {
		return len(v.frag) == 0
	}
	return v.typ == typeNull || len(v.data) == 0
}

// arrayItems splits an array value into its items (each with the base type).
func arrayItems(v value) []value {
	base := v.typ &^ typeArray
	var out []value
	switch base {
	case typeString:
		b := v.data
		start := 0
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				out = append(out, value{typ: base, data: b[start:i]})
				start = i + 2
			}
		}
		if start+1 < len(b) {
			out = append(out, value{typ: base, data: b[start:]})
		}
	case typeAnsi:
		b := v.data
		start := 0
		for i := 0; i < len(b); i++ {
			if b[i] == 0 {
				out = append(out, value{typ: base, data: b[start:i]})
				start = i + 1
			}
		}
		if start < len(b) {
			out = append(out, value{typ: base, data: b[start:]})
		}
	case typeSID:
		b := v.data
		for len(b) >= 8 {
			n := 8 + 4*int(b[1])
			if n > len(b) {
				n = len(b)
			}
			out = append(out, value{typ: base, data: b[:n]})
			b = b[n:]
		}
	default:
		sz := fixedSize(base)
		if base == typeSizeT {
			sz = 8
			if len(v.data)%8 != 0 {
				sz = 4
			}
		}
		if sz == 0 {
			return []value{{typ: base, data: v.data}}
		}
		for i := 0; i+sz <= len(v.data); i += sz {
			out = append(out, value{typ: base, data: v.data[i : i+sz]})
		}
	}
	return out
}

// appendValue renders a non-array, non-BinXML value as text.
func appendValue(dst []byte, v value) []byte {
	b := v.data
	le := binary.LittleEndian
	switch v.typ {
	case typeNull:
		return dst
	case typeString:
		for len(b) >= 2 && b[len(b)-1] == 0 && b[len(b)-2] == 0 {
			b = b[:len(b)-2]
		}
		return appendUTF16(dst, b)
	case typeAnsi:
		for len(b) > 0 && b[len(b)-1] == 0 {
			b = b[:len(b)-1]
		}
		return appendLatin1(dst, b)
	case typeInt8:
		if len(b) >= 1 {
			return strconv.AppendInt(dst, int64(int8(b[0])), 10)
		}
	case typeUint8:
		if len(b) >= 1 {
			return strconv.AppendUint(dst, uint64(b[0]), 10)
		}
	case typeInt16:
		if len(b) >= 2 {
			return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
		}
	case typeUint16:
		if len(b) >= 2 {
			return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
		}
	case typeInt32:
		if len(b) >= 4 {
			return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
		}
	case typeUint32:
		if len(b) >= 4 {
			return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
		}
	case typeInt64:
		if len(b) >= 8 {
			return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
		}
	case typeUint64:
		if len(b) >= 8 {
			return strconv.AppendUint(dst, le.Uint64(b), 10)
		}
	case typeReal32:
		if len(b) >= 4 {
			return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
		}
	case typeReal64:
		if len(b) >= 8 {
			return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
		}
	case typeBool:
		if len(b) >= 1 {
			nz := false
			for _, c := range b {
				nz = nz || c != 0
			}
			if nz {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		}
	case typeGUID:
		if len(b) >= 16 {
			return appendGUID(dst, b)
		}
	case typeSizeT, typeHex32, typeHex64:
		switch {
		case len(b) >= 8 && v.typ != typeHex32:
			return appendHex(dst, le.Uint64(b))
		case len(b) >= 4:
			return appendHex(dst, uint64(le.Uint32(b)))
		}
	case typeFileTime:
		if len(b) >= 8 {
			return appendFileTime(dst, le.Uint64(b))
		}
	case typeSystemTime:
		if len(b) >= 16 {
			return appendSystemTime(dst, b)
		}
	case typeSID:
		return appendSID(dst, b)
	}
	// Binary, handles, EvtXml, unknown types and short fixed-size values: hex.
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

func appendLatin1(dst []byte, b []byte) []byte {
	for _, c := range b {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = append(dst, byte(0xc0|c>>6), byte(0x80|c&0x3f))
		}
	}
	return dst
}

// appendHex renders 0x plus lower-case digits without padding, as Windows
// does (SubjectLogonId 0x3e7), so that Sigma rules written against Windows
// output match.
func appendHex(dst []byte, v uint64) []byte {
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, v, 16)
}

func appendHexBytes(dst []byte, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// appendGUID renders {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} in upper case, as Windows does.
func appendGUID(dst []byte, b []byte) []byte {
	dst = append(dst, '{')
	dst = appendHexBytes(dst, []byte{b[3], b[2], b[1], b[0]})
	dst = append(dst, '-')
	dst = appendHexBytes(dst, []byte{b[5], b[4]})
	dst = append(dst, '-')
	dst = appendHexBytes(dst, []byte{b[7], b[6]})
	dst = append(dst, '-')
	dst = appendHexBytes(dst, b[8:10])
	dst = append(dst, '-')
	dst = appendHexBytes(dst, b[10:16])
	return append(dst, '}')
}

// fileTimeEpoch is 1601-01-01 in Unix seconds.
const fileTimeEpoch = -11644473600

func fileTime(ft uint64) time.Time {
	return time.Unix(fileTimeEpoch+int64(ft/1e7), int64(ft%1e7)*100).UTC()
}

// appendFileTime renders YYYY-MM-DDTHH:MM:SS.fffffffZ (7 digits = 100 ns ticks).
func appendFileTime(dst []byte, ft uint64) []byte {
	t := fileTime(ft)
	dst = appendDate(dst, t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	dst = append(dst, '.')
	dst = appendPadded(dst, int(ft%1e7), 7)
	return append(dst, 'Z')
}

func appendSystemTime(dst []byte, b []byte) []byte {
	le := binary.LittleEndian
	dst = appendDate(dst, int(le.Uint16(b)), int(le.Uint16(b[2:])), int(le.Uint16(b[6:])),
		int(le.Uint16(b[8:])), int(le.Uint16(b[10:])), int(le.Uint16(b[12:])))
	dst = append(dst, '.')
	dst = appendPadded(dst, int(le.Uint16(b[14:]))*10000, 7)
	return append(dst, 'Z')
}

func appendDate(dst []byte, y, mo, d, h, mi, s int) []byte {
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, mo, 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, h, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, mi, 2)
	dst = append(dst, ':')
	return appendPadded(dst, s, 2)
}

func appendPadded(dst []byte, v, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendSID renders S-R-A-S1-S2...; a truncated SID renders the parts present.
func appendSID(dst []byte, b []byte) []byte {
	if len(b) < 2 {
		return dst
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	if len(b) < 8 {
		return dst
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = appendHex(dst, auth)
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	n := int(b[1])
	for i := 0; i < n && 8+4*i+4 <= len(b); i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return dst
}
