#!/bin/sh
# Builds internal/vuln/inventory/testdata/rpmdb.sqlite: a real rpm 4.18
# sqlite database holding a few empty packages with RHEL-9-like names,
# epochs, releases and source rpms (openssl-libs comes from openssl.src).
# Needs the Debian package "rpm" (rpm, rpmbuild). Run from the repo root.
set -eu
out=internal/vuln/inventory/testdata/rpmdb.sqlite
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mk() { # name epoch version release subpackage
	{
		echo "Name: $1"; echo "Version: $3"; echo "Release: $4"
		[ "$2" != 0 ] && echo "Epoch: $2"
		echo "Summary: test"; echo "License: MIT"; echo "BuildArch: x86_64"
		echo "%description"; echo "test"
		if [ -n "$5" ]; then
			echo "%package $5"; echo "Summary: test"; echo "%description $5"; echo "test"; echo "%files $5"
		else
			echo "%files"
		fi
	} >"$w/$1.spec"
	rpmbuild --quiet --define "_topdir $w/top" -bb "$w/$1.spec" >/dev/null
}
mk openssl 1 3.0.7 24.el9 libs
mk bash 0 5.1.8 6.el9_1 ""
mk sudo 0 1.9.5p2 9.el9 ""
mk kernel 0 5.14.0 284.11.1.el9_2 core
mkdir "$w/db"
rpm --dbpath "$w/db" --initdb
rpm --dbpath "$w/db" -i --justdb --nodeps --ignorearch --ignoreos "$w"/top/RPMS/*/*.rpm 2>/dev/null
rpm --dbpath "$w/db" -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n' | sort
# Checkpoint the WAL into the main file so that one file is a complete db.
rpm --dbpath "$w/db" --rebuilddb
cp "$w/db/rpmdb.sqlite" "$out"
