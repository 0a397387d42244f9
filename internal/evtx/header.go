package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeaderLen = 24
)

var (
	fileMagic  = []byte("ElfFile\x00")
	chunkMagic = []byte("ElfChnk\x00")
)

// ErrNotEVTX is returned by NewReader when the file header magic is wrong.
var ErrNotEVTX = errors.New("not an evtx file (bad header magic)")

// FileHeader is the parsed 4 KiB file header.
type FileHeader struct {
	FirstChunk   uint64
	LastChunk    uint64
	NextRecordID uint64
	MinorVersion uint16
	MajorVersion uint16
	ChunkCount   uint16
	Flags        uint32 // 1 = dirty, 2 = full
	ChecksumOK   bool
}

func parseFileHeader(b []byte) (FileHeader, error) {
	var h FileHeader
	if len(b) < 128 {
		return h, fmt.Errorf("file header: short read (%d bytes)", len(b))
	}
	if string(b[:8]) != string(fileMagic) {
		return h, ErrNotEVTX
	}
	le := binary.LittleEndian
	h.FirstChunk = le.Uint64(b[8:])
	h.LastChunk = le.Uint64(b[16:])
	h.NextRecordID = le.Uint64(b[24:])
	h.MinorVersion = le.Uint16(b[36:])
	h.MajorVersion = le.Uint16(b[38:])
	h.ChunkCount = le.Uint16(b[42:])
	h.Flags = le.Uint32(b[120:])
	h.ChecksumOK = crc32.ChecksumIEEE(b[:120]) == le.Uint32(b[124:])
	return h, nil
}

// chunkHeader is the 512-byte header of a chunk.
type chunkHeader struct {
	firstRecordNum  uint64
	lastRecordNum   uint64
	firstRecordID   uint64
	lastRecordID    uint64
	lastRecordOff   uint32
	freeSpaceOff    uint32
	dataChecksum    uint32
	headerChecksum  uint32
	flags           uint32
	headerCRCValid  bool
	recordsCRCValid bool
}

// errEmptyChunk marks an all-zero chunk (unused space after a zeroed region); it is skipped silently.
var errEmptyChunk = errors.New("empty chunk")

func parseChunkHeader(b []byte) (chunkHeader, error) {
	var h chunkHeader
	if len(b) < chunkHeaderSize {
		return h, fmt.Errorf("chunk: short (%d bytes)", len(b))
	}
	if string(b[:8]) != string(chunkMagic) {
		if allZero(b[:8]) {
			return h, errEmptyChunk
		}
		return h, fmt.Errorf("chunk: bad magic %q", b[:8])
	}
	le := binary.LittleEndian
	h.firstRecordNum = le.Uint64(b[8:])
	h.lastRecordNum = le.Uint64(b[16:])
	h.firstRecordID = le.Uint64(b[24:])
	h.lastRecordID = le.Uint64(b[32:])
	h.lastRecordOff = le.Uint32(b[44:])
	h.freeSpaceOff = le.Uint32(b[48:])
	h.dataChecksum = le.Uint32(b[52:])
	h.flags = le.Uint32(b[120:])
	h.headerChecksum = le.Uint32(b[124:])
	crc := crc32.NewIEEE()
	crc.Write(b[:120])
	crc.Write(b[128:512])
	h.headerCRCValid = crc.Sum32() == h.headerChecksum
	if h.freeSpaceOff >= chunkHeaderSize && int(h.freeSpaceOff) <= len(b) {
		h.recordsCRCValid = crc32.ChecksumIEEE(b[chunkHeaderSize:h.freeSpaceOff]) == h.dataChecksum
	}
	return h, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
