#!/usr/bin/env python3
"""Builds internal/vuln/inventory/testdata/Packages{,.p512}: Berkeley DB hash
databases in rpm's "Packages" layout (key: header number, 4 bytes native
order; value: the header blob), as RHEL/CentOS 7-8 and Kylin V10 keep them.

The header blobs come from testdata/rpmdb.sqlite (made by make-rpmdb.sh), the
files are written by Berkeley DB itself (db5.3_load, Debian package
db5.3-util), and rpm verifies them: the script prints what
`rpm --define '_db_backend bdb_ro' -qa` reads back. The 512-byte-page variant
forces every header onto overflow pages, as real (larger) headers are.
Run from the repo root.
"""
import os, shutil, sqlite3, struct, subprocess, sys, tempfile

td = "internal/vuln/inventory/testdata"
rows = sqlite3.connect(f"file:{td}/rpmdb.sqlite?mode=ro", uri=True).execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
for suffix, pagesize in (("", None), (".p512", 512)):
    w = tempfile.mkdtemp()
    dump = os.path.join(w, "dump.txt")
    with open(dump, "w") as f:
        f.write("VERSION=3\nformat=bytevalue\ntype=hash\n")
        if pagesize:
            f.write(f"db_pagesize={pagesize}\n")
        f.write("HEADER=END\n")
        for hnum, blob in rows:
            f.write(" " + struct.pack("<I", hnum).hex() + "\n")
            f.write(" " + bytes(blob).hex() + "\n")
        f.write("DATA=END\n")
    out = os.path.join(w, "Packages")
    subprocess.run(["db5.3_load", "-f", dump, out], check=True)
    got = subprocess.run(["rpm", "--dbpath", w, "--define", "_db_backend bdb_ro", "-qa", "--qf", "%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\n"],
                         capture_output=True, text=True, check=True).stdout
    print(f"Packages{suffix} (page size {pagesize or 'default'}): rpm reads back:", file=sys.stderr)
    sys.stderr.write("".join(sorted(got.splitlines(True))))
    shutil.copy(out, os.path.join(td, "Packages" + suffix))
    shutil.rmtree(w)
