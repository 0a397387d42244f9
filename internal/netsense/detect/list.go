// Package detect lists the sensor's detection plugins. Each plugin lives
// in its own package under detect/ and is added here explicitly (no
// init-time registration), so the set of detectors is visible in one
// place. See docs/sensor.md, "Adding a detector".
package detect

import (
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/detect/beacon"
	"github.com/medshield/medshield/internal/netsense/detect/dnstunnel"
	"github.com/medshield/medshield/internal/netsense/detect/exfil"
	"github.com/medshield/medshield/internal/netsense/detect/iocmatch"
	"github.com/medshield/medshield/internal/netsense/detect/lateral"
	"github.com/medshield/medshield/internal/netsense/detect/mining"
	"github.com/medshield/medshield/internal/netsense/detect/ms17010"
	"github.com/medshield/medshield/internal/netsense/detect/phi"
	"github.com/medshield/medshield/internal/netsense/detect/scan"
	"github.com/medshield/medshield/internal/netsense/detect/smbv1"
)

// All returns a fresh instance of every detector (detectors keep state,
// so each sensor needs its own).
func All() []analysis.Detector {
	return []analysis.Detector{
		iocmatch.New(),
		ms17010.New(),
		smbv1.New(),
		mining.New(),
		scan.New(),
		lateral.New(),
		beacon.New(),
		dnstunnel.New(),
		exfil.New(),
		phi.New(),
	}
}
