package tamper

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// Windows design (built for windows/amd64; not run on Windows in CI):
//
//   - State directory: a protected DACL (no inheritance from the parent)
//     granting full control to SYSTEM only and nothing to Administrators or
//     users; the agent service runs as LocalSystem. An administrator can
//     still take ownership (SeTakeOwnershipPrivilege), which changes the
//     owner and is seen by the Watcher as a change.
//   - Binary directory (Program Files\medshield): SYSTEM full control,
//     Administrators and Users read and execute, protected DACL, so the
//     binary cannot be replaced without first taking ownership.
//   - Service: ProtectService replaces the service's security descriptor so
//     that Administrators may query and start it but not stop, pause,
//     reconfigure or delete it (SERVICE_STOP, SERVICE_CHANGE_CONFIG, DELETE,
//     WRITE_DAC are SYSTEM's only). The agent itself stops only after a
//     valid unlock code (Verifier) and restores the default descriptor for
//     an uninstall.
//   - Immutable flag: no equivalent; the DACL plays that role.
const (
	stateSDDL   = "D:P(A;OICI;FA;;;SY)"
	binarySDDL  = "D:P(A;OICI;FA;;;SY)(A;OICI;GRGX;;;BA)(A;OICI;GRGX;;;BU)"
	serviceSDDL = "D:(A;;CCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;CCLCSWRPLOCRRC;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)"
)

// Check compares the DACLs of the state directory and the binary's
// directory with the wanted ones and, with Repair, applies them.
func Check(p Policy) ([]Problem, error) {
	if _, err := os.Stat(p.StateDir); err != nil {
		return nil, fmt.Errorf("check state dir %s: %w", p.StateDir, err)
	}
	var probs []Problem
	if pr, ok := checkDACL(p.StateDir, stateSDDL, p.Repair); ok {
		probs = append(probs, pr)
	}
	if p.Binary != "" {
		if _, err := os.Stat(p.Binary); err != nil {
			probs = append(probs, Problem{Path: p.Binary, Issue: IssueMissing, Got: "missing", Want: "present"})
		} else if pr, ok := checkDACL(filepath.Dir(p.Binary), binarySDDL, p.Repair); ok {
			probs = append(probs, pr)
		}
	}
	return probs, nil
}

func checkDACL(path, want string, repair bool) (Problem, bool) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return Problem{Path: path, Issue: IssueACL, Got: "unreadable", Want: want, Err: err}, true
	}
	got := sd.String()
	wsd, err := windows.SecurityDescriptorFromString(want)
	if err != nil {
		return Problem{Path: path, Issue: IssueACL, Got: got, Want: want, Err: err}, true
	}
	if got == wsd.String() {
		return Problem{}, false
	}
	pr := Problem{Path: path, Issue: IssueACL, Got: got, Want: want}
	if repair {
		dacl, _, err := wsd.DACL()
		if err == nil {
			err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
				windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
		}
		pr.Err, pr.Repaired = err, err == nil
	}
	return pr, true
}

// ProtectService sets the agent service's security descriptor so that only
// SYSTEM can stop, reconfigure or delete it.
func ProtectService(name string) error {
	m, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	defer windows.CloseServiceHandle(m)
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	h, err := windows.OpenService(m, n, windows.WRITE_DAC|windows.READ_CONTROL)
	if err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	defer windows.CloseServiceHandle(h)
	sd, err := windows.SecurityDescriptorFromString(serviceSDDL)
	if err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	if err := windows.SetSecurityInfo(h, windows.SE_SERVICE, windows.DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("protect service %s: %w", name, err)
	}
	return nil
}
