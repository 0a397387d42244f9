// Package winpatch decides, without internet access, whether a Windows host
// has the fixes for a curated set of hospital-critical vulnerabilities
// (MS17-010/WannaCry, BlueKeep, Zerologon, PrintNightmare, SMBGhost) and
// whether SMBv1 is enabled, from its inventory: OS build and UBR, installed
// KBs, file versions (srv.sys) and registry values.
//
// The table (table.go) lists, per OS, every KB that contains the fix
// including superseding cumulative updates known to medshield, the build
// revision from which Windows 10/11 and Server 2016+ cumulative updates
// contain it, and for MS17-010 the minimum srv.sys version; each entry
// cites its source and how it was checked. Results say why (which KB,
// which version) so an administrator can verify them.
//
// It does not download anything and does not replace the vendor's update
// catalogue for patches it does not list. Imported by the vuln CLI and the
// server.
package winpatch
