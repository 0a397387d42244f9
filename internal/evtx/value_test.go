package evtx

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestValueRendering(t *testing.T) {
	le := binary.LittleEndian
	u64 := func(v uint64) []byte { return le.AppendUint64(nil, v) }
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	st := func(f ...uint16) []byte {
		var b []byte
		for _, v := range f {
			b = le.AppendUint16(b, v)
		}
		return b
	}
	sid := func(auth byte, sub ...uint32) []byte {
		b := []byte{1, byte(len(sub)), 0, 0, 0, 0, 0, auth}
		for _, v := range sub {
			b = le.AppendUint32(b, v)
		}
		return b
	}
	tests := []struct {
		name string
		typ  uint8
		data []byte
		want string
	}{
		{"string trailing NUL trimmed", typeString, utf16z("abc\x00"), "abc"},
		{"string non-ASCII", typeString, utf16z("Zürich 医院"), "Zürich 医院"},
		{"string keeps trailing spaces", typeString, utf16z("a  "), "a  "},
		{"string surrogate pair", typeString, utf16z("x😀y"), "x😀y"},
		{"string lone surrogate", typeString, []byte{0x41, 0, 0x00, 0xd8, 0x42, 0}, "A\uFFFDB"},
		{"ansi latin1", typeAnsi, []byte("caf\xe9\x00"), "café"},
		{"int8", typeInt8, []byte{0xff}, "-1"},
		{"uint8", typeUint8, []byte{0xff}, "255"},
		{"int16", typeInt16, st(0xfffe), "-2"},
		{"uint16", typeUint16, st(4624), "4624"},
		{"int32", typeInt32, u32(0xffffffff), "-1"},
		{"uint32", typeUint32, u32(4294967295), "4294967295"},
		{"int64", typeInt64, u64(math.MaxUint64), "-1"},
		{"uint64", typeUint64, u64(math.MaxUint64), "18446744073709551615"},
		{"real32", typeReal32, u32(math.Float32bits(1.5)), "1.5"},
		{"real64", typeReal64, u64(math.Float64bits(-0.25)), "-0.25"},
		{"bool true", typeBool, u32(1), "true"},
		{"bool false", typeBool, u32(0), "false"},
		{"binary upper hex", typeBinary, []byte{0x4e, 0x00, 0xab}, "4E00AB"},
		{"guid mixed endian, upper", typeGUID, []byte{0x90, 0x0b, 0x69, 0x5a, 0x1b, 0x53, 0xb2, 0x4f, 0x9c, 0x84, 0x2b, 0x51, 0x21, 0x31, 0x09, 0x56}, "{5A690B90-531B-4FB2-9C84-2B5121310956}"},
		{"size_t 8 bytes", typeSizeT, u64(0x858), "0x858"},
		{"size_t 4 bytes", typeSizeT, u32(4), "0x4"},
		{"hex32 unpadded", typeHex32, u32(0xc000006d), "0xc000006d"},
		{"hex64 logon id", typeHex64, u64(0x3e7), "0x3e7"},
		{"hex64 keywords", typeHex64, u64(0x8020000000000000), "0x8020000000000000"},
		{"filetime 100ns", typeFileTime, u64(132000000001234567), "2019-04-17T18:40:00.1234567Z"},
		{"filetime zero", typeFileTime, u64(0), "1601-01-01T00:00:00.0000000Z"},
		{"systemtime", typeSystemTime, st(2017, 5, 5, 19, 2, 2, 35, 484), "2017-05-19T02:02:35.4840000Z"},
		{"sid", typeSID, sid(5, 21, 979008924, 657238111, 836329461, 1002), "S-1-5-21-979008924-657238111-836329461-1002"},
		{"sid truncated keeps what is there", typeSID, []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0}, "S-1-5-32"},
		{"sid large authority in hex", typeSID, []byte{1, 0, 0x12, 0x34, 0, 0, 0, 1}, "S-1-0x123400000001"},
		{"null", typeNull, nil, ""},
		{"short fixed value as hex", typeUint32, []byte{1, 2}, "0102"},
		{"evt handle as hex", typeEvtHandle, []byte{1, 2}, "0102"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendValue(nil, value{typ: tc.typ, data: tc.data}))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestArrayItems(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name string
		v    value
		want []string
	}{
		{"strings", value{typ: typeString | typeArray, data: utf16z("a\x00bc\x00")}, []string{"a", "bc"}},
		{"strings without final NUL", value{typ: typeString | typeArray, data: utf16z("a\x00bc")}, []string{"a", "bc"}},
		{"empty strings kept", value{typ: typeString | typeArray, data: utf16z("\x00\x00x\x00")}, []string{"", "", "x"}},
		{"empty array", value{typ: typeString | typeArray}, nil},
		{"uint16", value{typ: typeUint16 | typeArray, data: le.AppendUint16(le.AppendUint16(nil, 1), 2)}, []string{"1", "2"}},
		{"hex64", value{typ: typeHex64 | typeArray, data: le.AppendUint64(nil, 255)}, []string{"0xff"}},
		{"sids", value{typ: typeSID | typeArray, data: []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 5, 19, 0, 0, 0}}, []string{"S-1-5-18", "S-1-5-19"}},
		{"ansi", value{typ: typeAnsi | typeArray, data: []byte("x\x00yz\x00")}, []string{"x", "yz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, it := range arrayItems(tc.v) {
				got = append(got, string(appendValue(nil, it)))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2021-11-19T16:52:33.833733500Z", "2021-11-19T16:52:33.8337335Z"},
		{"2021-11-19T16:52:33.8337335Z", "2021-11-19T16:52:33.8337335Z"},
		{"2021-11-19T16:52:33Z", "2021-11-19T16:52:33.0000000Z"},
		{"2021-11-19 16:52:33.12", "2021-11-19T16:52:33.1200000Z"},
		{"not a time", "not a time"},
		{"2021-11-19T16:52:33+01:00", "2021-11-19T16:52:33+01:00"},
	}
	for _, tc := range tests {
		if got := canonTime(tc.in); got != tc.want {
			t.Errorf("canonTime(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
