// Package inventory collects and parses what is installed on a host: the OS
// identity (os-release, Windows edition/build/UBR), system packages (dpkg
// status with binary→source mapping, the rpm sqlite database, the apk
// installed database), Windows installed programs and hotfixes, and Go
// binaries' embedded build information.
//
// Every reader takes an io.Reader or a path so that it can be tested on
// recorded data; the live Windows registry reader is in registry_windows.go
// and feeds the same parsers as the recorded .reg files used in tests.
//
// It does not match anything against vulnerability data (package vuln does)
// and never touches the network. Agents and the vuln CLI import it.
package inventory
