package inventory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Berkeley DB hash database constants (db.h, db_page.h, hash.h).
const (
	bdbHashMagic       = 0x061561
	bdbPageHeader      = 26
	bdbPageHash        = 13 // P_HASH
	bdbPageHashUnsort  = 2  // P_HASH_UNSORTED
	bdbPageOverflow    = 7  // P_OVERFLOW
	bdbItemKeyData     = 1  // H_KEYDATA
	bdbItemOffPage     = 3  // H_OFFPAGE
	maxBDBPages        = 1 << 22
	maxBDBOverflowSize = 64 << 20
)

// ReadRPMBDB reads rpm's Berkeley DB "Packages" file (RHEL/CentOS 7 and 8,
// Kylin V10, older openEuler): a hash database whose values are header
// blobs. Only the on-disk page format is read; no Berkeley DB library and
// no environment files are needed, and the file is never written.
func ReadRPMBDB(path string) ([]Package, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("rpm database: %w", err)
	}
	defer f.Close()
	blobs, warnings, err := bdbHashValues(f)
	if err != nil {
		return nil, warnings, fmt.Errorf("rpm database %s: %w", path, err)
	}
	var pkgs []Package
	for i, b := range blobs {
		p, err := ParseRPMHeader(b)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: value %d: %v", path, i, err))
			continue
		}
		if p.Name == "gpg-pubkey" {
			continue
		}
		p.Location = path
		pkgs = append(pkgs, p)
		if len(pkgs) >= maxRPMPackages {
			break
		}
	}
	return pkgs, warnings, nil
}

// bdbHashValues returns every data item of a Berkeley DB hash database.
func bdbHashValues(r io.ReaderAt) ([][]byte, []string, error) {
	meta := make([]byte, 72)
	if _, err := r.ReadAt(meta, 0); err != nil {
		return nil, nil, fmt.Errorf("reading metadata page: %w", err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch {
	case binary.LittleEndian.Uint32(meta[12:]) == bdbHashMagic:
	case binary.BigEndian.Uint32(meta[12:]) == bdbHashMagic:
		bo = binary.BigEndian
	default:
		return nil, nil, errors.New("not a Berkeley DB hash database (bad magic)")
	}
	pageSize := bo.Uint32(meta[20:])
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, nil, fmt.Errorf("implausible page size %d", pageSize)
	}
	if meta[24] != 0 {
		return nil, nil, errors.New("encrypted database")
	}
	lastPage := bo.Uint32(meta[32:])
	if lastPage > maxBDBPages {
		return nil, nil, fmt.Errorf("%d pages, limit %d", lastPage, maxBDBPages)
	}
	page := make([]byte, pageSize)
	readPage := func(n uint32, buf []byte) error {
		_, err := r.ReadAt(buf, int64(n)*int64(pageSize))
		return err
	}
	var values [][]byte
	var warnings []string
	for pg := uint32(1); pg <= lastPage; pg++ {
		if err := readPage(pg, page); err != nil {
			return values, warnings, fmt.Errorf("page %d: %w", pg, err)
		}
		if t := page[25]; t != bdbPageHash && t != bdbPageHashUnsort {
			continue
		}
		entries := int(bo.Uint16(page[20:]))
		if bdbPageHeader+2*entries > len(page) {
			warnings = append(warnings, fmt.Sprintf("page %d: %d entries do not fit", pg, entries))
			continue
		}
		offset := func(i int) int { return int(bo.Uint16(page[bdbPageHeader+2*i:])) }
		// Items alternate key, data; item i spans offset(i) up to
		// offset(i-1) (or the page end for the first).
		for i := 1; i < entries; i += 2 {
			start, end := offset(i), offset(i-1)
			if start < bdbPageHeader || end > len(page) || start >= end {
				warnings = append(warnings, fmt.Sprintf("page %d: item %d out of bounds", pg, i))
				continue
			}
			item := page[start:end]
			switch item[0] {
			case bdbItemKeyData:
				values = append(values, append([]byte(nil), item[1:]...))
			case bdbItemOffPage:
				if len(item) < 12 {
					warnings = append(warnings, fmt.Sprintf("page %d: short overflow item", pg))
					continue
				}
				v, err := bdbOverflow(readPage, bo, pageSize, lastPage, bo.Uint32(item[4:]), bo.Uint32(item[8:]))
				if err != nil {
					warnings = append(warnings, fmt.Sprintf("page %d item %d: %v", pg, i, err))
					continue
				}
				values = append(values, v)
			}
		}
	}
	return values, warnings, nil
}

// bdbOverflow follows an overflow page chain and returns tlen bytes.
func bdbOverflow(readPage func(uint32, []byte) error, bo binary.ByteOrder, pageSize, lastPage, pgno, tlen uint32) ([]byte, error) {
	if tlen > maxBDBOverflowSize {
		return nil, fmt.Errorf("overflow item of %d bytes", tlen)
	}
	// Never trust tlen for the allocation: the chain cannot hold more than
	// the file's pages.
	out := make([]byte, 0, min(uint64(tlen), uint64(lastPage)*uint64(pageSize)))
	buf := make([]byte, pageSize)
	for steps := uint32(0); pgno != 0 && uint32(len(out)) < tlen; steps++ {
		if pgno > lastPage || steps > lastPage {
			return nil, fmt.Errorf("overflow chain leaves the file or loops at page %d", pgno)
		}
		if err := readPage(pgno, buf); err != nil {
			return nil, err
		}
		if buf[25] != bdbPageOverflow {
			return nil, fmt.Errorf("page %d in an overflow chain has type %d", pgno, buf[25])
		}
		n := int(bo.Uint16(buf[22:])) // bytes used on an overflow page
		if bdbPageHeader+n > len(buf) {
			return nil, fmt.Errorf("overflow page %d claims %d bytes", pgno, n)
		}
		out = append(out, buf[bdbPageHeader:bdbPageHeader+n]...)
		pgno = bo.Uint32(buf[16:])
	}
	if uint32(len(out)) != tlen {
		return nil, fmt.Errorf("overflow chain holds %d bytes, want %d", len(out), tlen)
	}
	return out, nil
}
