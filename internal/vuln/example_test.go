package vuln_test

import (
	"fmt"

	"github.com/medshield/medshield/internal/vuln"
	"github.com/medshield/medshield/internal/vuln/inventory"
	"github.com/medshield/medshield/internal/vuln/osv"
)

// The server keeps one Matcher per database version and re-matches every
// stored inventory when the database changes.
func ExampleMatcher_Match() {
	rec, _ := osv.Parse([]byte(`{"id":"DSA-5417-1","modified":"2023-05-30T00:00:00Z",
	  "upstream":["CVE-2023-2650"],
	  "affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},
	    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1n-0+deb11u5"}]}]}]}`))
	db := osv.NewDB()
	db.Add(rec)

	inv := inventory.Inventory{Packages: []inventory.Package{{
		Name: "libssl1.1", Version: "1.1.1n-0+deb11u4",
		SourceName: "openssl", SourceVersion: "1.1.1n-0+deb11u4",
		Manager: inventory.Dpkg, Ecosystem: "Debian:11",
	}}}
	for _, f := range vuln.NewMatcher(db).Match(inv) {
		fmt.Println(f.Key, f.Package, f.InstalledVersion, "->", f.FixedVersion, f.IDs)
		fmt.Println(f.Explanation)
	}
	// Output:
	// CVE-2023-2650 libssl1.1 1.1.1n-0+deb11u4 -> 1.1.1n-0+deb11u5 [CVE-2023-2650 DSA-5417-1]
	// Debian:11 openssl 1.1.1n-0+deb11u4 (installed as libssl1.1) is affected by CVE-2023-2650 [CVE-2023-2650, DSA-5417-1]: DSA-5417-1 Debian:11: introduced 0, fixed 1.1.1n-0+deb11u5; fixed in 1.1.1n-0+deb11u5.
}
