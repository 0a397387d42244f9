package inventory

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // pure-Go SQLite driver for rpmdb.sqlite
)

// rpm header tags and types used here (rpmtag.h).
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044

	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
)

// Limits for untrusted header blobs.
const (
	maxRPMHeaderEntries = 1 << 16
	maxRPMHeaderData    = 64 << 20
	maxRPMPackages      = 200000
)

// ParseRPMHeader decodes one rpm header blob as stored in rpmdb.sqlite's
// Packages table (index count, data length, 16-byte index entries, data)
// and returns the package's NEVRA and source rpm.
func ParseRPMHeader(blob []byte) (Package, error) {
	if len(blob) < 8 {
		return Package{}, fmt.Errorf("rpm header: %d bytes, need at least 8", len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il > maxRPMHeaderEntries || dl > maxRPMHeaderData {
		return Package{}, fmt.Errorf("rpm header: implausible sizes (%d entries, %d data bytes)", il, dl)
	}
	idxEnd := 8 + uint64(il)*16
	if idxEnd+uint64(dl) > uint64(len(blob)) {
		return Package{}, fmt.Errorf("rpm header: truncated (%d entries, %d data bytes, blob %d bytes)", il, dl, len(blob))
	}
	data := blob[idxEnd : idxEnd+uint64(dl)]
	var p Package
	var epoch string
	var sourceRPM string
	for i := uint64(0); i < uint64(il); i++ {
		e := blob[8+i*16 : 8+i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		count := binary.BigEndian.Uint32(e[12:16])
		switch tag {
		case rpmTagName, rpmTagVersion, rpmTagRelease, rpmTagArch, rpmTagSourceRPM:
			if typ != rpmTypeString && typ != rpmTypeI18NString && typ != rpmTypeStringArray {
				return Package{}, fmt.Errorf("rpm header: tag %d has type %d, want a string", tag, typ)
			}
			s, err := rpmString(data, off)
			if err != nil {
				return Package{}, fmt.Errorf("rpm header: tag %d: %w", tag, err)
			}
			switch tag {
			case rpmTagName:
				p.Name = s
			case rpmTagVersion:
				p.Version = s
			case rpmTagRelease:
				p.SourceVersion = s // release, assembled below
			case rpmTagArch:
				p.Arch = s
			case rpmTagSourceRPM:
				sourceRPM = s
			}
		case rpmTagEpoch:
			if typ != rpmTypeInt32 || count < 1 || uint64(off)+4 > uint64(len(data)) {
				return Package{}, fmt.Errorf("rpm header: bad epoch entry (type %d, offset %d)", typ, off)
			}
			epoch = strconv.FormatUint(uint64(binary.BigEndian.Uint32(data[off:off+4])), 10)
		}
	}
	if p.Name == "" || p.Version == "" {
		return Package{}, errors.New("rpm header: no name or version")
	}
	release := p.SourceVersion
	evr := p.Version
	if release != "" {
		evr += "-" + release
	}
	if epoch != "" && epoch != "0" {
		evr = epoch + ":" + evr
	}
	p.Version = evr
	p.Manager = RPMDB
	p.SourceName, p.SourceVersion = p.Name, evr
	if n, ok := sourceName(sourceRPM); ok {
		p.SourceName = n
	}
	return p, nil
}

func rpmString(data []byte, off uint32) (string, error) {
	if uint64(off) >= uint64(len(data)) {
		return "", fmt.Errorf("offset %d outside %d data bytes", off, len(data))
	}
	end := bytes.IndexByte(data[off:], 0)
	if end < 0 {
		return "", fmt.Errorf("string at offset %d not terminated", off)
	}
	return string(data[off : int(off)+end]), nil
}

// sourceName extracts the name from "openssl-3.0.7-24.el9.src.rpm": strip
// ".src.rpm" (or ".nosrc.rpm"), then the last two '-' fields.
func sourceName(srpm string) (string, bool) {
	s, ok := strings.CutSuffix(srpm, ".src.rpm")
	if !ok {
		if s, ok = strings.CutSuffix(srpm, ".nosrc.rpm"); !ok {
			return "", false
		}
	}
	for range 2 {
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return "", false
		}
		s = s[:i]
	}
	return s, true
}

// ReadRPMDB reads the installed packages from an rpm database: the sqlite
// rpmdb.sqlite (rpm ≥ 4.16: RHEL/Rocky/AlmaLinux 9, openEuler 22.03+,
// Fedora 33+) or the Berkeley DB "Packages" file (RHEL/CentOS 7-8, Kylin
// V10). path is the file or the directory holding it. SUSE's "Packages.db"
// (ndb) is not read.
func ReadRPMDB(ctx context.Context, path string) ([]Package, []string, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("rpm database: %w", err)
	} else if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "rpmdb.sqlite")); err != nil {
			if _, err2 := os.Stat(filepath.Join(path, "Packages")); err2 == nil {
				return ReadRPMBDB(filepath.Join(path, "Packages"))
			}
			return nil, nil, fmt.Errorf("rpm database: %w", err)
		}
		path = filepath.Join(path, "rpmdb.sqlite")
	}
	if !isSQLite(path) {
		return ReadRPMBDB(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("rpm database: %w", err)
	}
	// immutable=1: never write, never create -wal/-shm files next to a
	// live system database, and work on read-only mounts.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&immutable=1"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("rpm database %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT hnum, blob FROM Packages")
	if err != nil {
		return nil, nil, fmt.Errorf("rpm database %s: %w", path, err)
	}
	defer rows.Close()
	var pkgs []Package
	var warnings []string
	for rows.Next() {
		var hnum int64
		var blob []byte
		if err := rows.Scan(&hnum, &blob); err != nil {
			return pkgs, warnings, fmt.Errorf("rpm database %s: %w", path, err)
		}
		p, err := ParseRPMHeader(blob)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: header %d: %v", path, hnum, err))
			continue
		}
		if p.Name == "gpg-pubkey" {
			continue // imported signing keys are not software
		}
		p.Location = path
		pkgs = append(pkgs, p)
		if len(pkgs) >= maxRPMPackages {
			warnings = append(warnings, fmt.Sprintf("%s: stopped after %d packages", path, maxRPMPackages))
			break
		}
	}
	if err := rows.Err(); err != nil {
		return pkgs, warnings, fmt.Errorf("rpm database %s: %w", path, err)
	}
	return pkgs, warnings, nil
}

// isSQLite reports whether a file starts with the SQLite header.
func isSQLite(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	_, err = io.ReadFull(f, head)
	return err == nil && string(head) == "SQLite format 3\x00"
}
