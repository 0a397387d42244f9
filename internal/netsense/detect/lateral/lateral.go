// Package lateral detects lateral movement: remote service creation over
// the svcctl interface (PsExec, smbexec, Impacket), executables copied to
// administrative shares, scheduled tasks created over atsvc, WMI over
// DCOM, PowerShell remoting (WinRM/WS-Man) and repeated RDP sessions
// between the same two hosts (scripted RDP such as SharpRDP).
package lateral

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/packet"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Rules.
var (
	RuleService = &analysis.Rule{ID: "lateral.remote-service", SID: 9100501, Name: "Lateral movement: remote service created over svcctl",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1569.002", Severity: event.SeverityHigh}
	RulePsExec = &analysis.Rule{ID: "lateral.psexec", SID: 9100502, Name: "Lateral movement: PsExec service and named pipes",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1569.002", Severity: event.SeverityHigh}
	RuleAdminShare = &analysis.Rule{ID: "lateral.admin-share-executable", SID: 9100503, Name: "Lateral movement: executable written to an administrative share",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1021.002", Severity: event.SeverityHigh}
	RuleTask = &analysis.Rule{ID: "lateral.remote-task", SID: 9100504, Name: "Lateral movement: scheduled task created remotely (atsvc/TaskScheduler)",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1053.005", Severity: event.SeverityHigh}
	RuleWMI = &analysis.Rule{ID: "lateral.wmi", SID: 9100505, Name: "Lateral movement: remote WMI (IWbemLevel1Login/IWbemServices)",
		Category: "Attempted Administrator Privilege Gain", Technique: "T1047", Severity: event.SeverityMedium}
	RuleWinRM = &analysis.Rule{ID: "lateral.winrm", SID: 9100506, Name: "Lateral movement: WinRM / PowerShell remoting (WS-Man)",
		Category: "Potentially Bad Traffic", Technique: "T1021.006", Severity: event.SeverityMedium}
	RuleRDP = &analysis.Rule{ID: "lateral.rdp-sessions", SID: 9100507, Name: "Lateral movement: repeated RDP sessions to one host (scripted RDP)",
		Category: "Potentially Bad Traffic", Technique: "T1021.001", Severity: event.SeverityMedium}
)

type pair struct{ src, dst netip.Addr }

// Detector tracks RDP sessions per pair; the other rules are stateless.
type Detector struct {
	rdp map[pair][]int64 // end times of completed RDP sessions
}

// New returns the detector.
func New() *Detector { return &Detector{rdp: map[pair][]int64{}} }

func (*Detector) Name() string    { return "lateral" }
func (*Detector) Version() string { return "1.0" }
func (*Detector) Rules() []*analysis.Rule {
	return []*analysis.Rule{RuleService, RulePsExec, RuleAdminShare, RuleTask, RuleWMI, RuleWinRM, RuleRDP}
}
func (*Detector) Wants() analysis.Kind       { return analysis.Record | analysis.FlowEnd }
func (*Detector) Flush(*analysis.Env, int64) {}

func (d *Detector) Observe(env *analysis.Env, o *analysis.Observation) {
	f := o.Flow
	emit := func(r *analysis.Rule, msg, key string, ev map[string]any) {
		env.Emit(analysis.Alert{Rule: r, Time: o.Time, Src: f.Client, Dst: f.Server, Proto: f.Proto, FlowID: f.ID, Message: msg, Key: key, Evidence: ev})
	}
	if o.Kind == analysis.FlowEnd {
		d.flowEnd(env, o, emit)
		return
	}
	switch r := o.Rec.(type) {
	case *proto.DCERPC:
		switch r.Interface {
		case "svcctl":
			if r.PType != proto.DCERequest {
				return
			}
			switch r.Opnum {
			case 12, 24, 44, 45: // RCreateServiceW/A, RCreateServiceWOW64A/W
				ev := map[string]any{"service": r.ServiceName, "binary_path": r.BinaryPath, "pipe": r.Pipe, "opnum": r.Opnum, "stub_encrypted": r.Sealed}
				tool := guessTool(r.ServiceName, r.BinaryPath)
				if tool != "" {
					ev["tool"] = tool
				}
				if tool == "PsExec" {
					emit(RulePsExec, fmt.Sprintf("%s: service %q created on %s", RulePsExec.Name, r.ServiceName, f.Server.Addr()), "", ev)
					return
				}
				what := fmt.Sprintf("service %q (%s)", r.ServiceName, clip(r.BinaryPath))
				if r.Sealed {
					what = "encrypted request"
				}
				emit(RuleService, fmt.Sprintf("%s: %s on %s", RuleService.Name, what, f.Server.Addr()), "", ev)
			}
		case "atsvc", "itaskschedulerservice", "sasec":
			if r.PType == proto.DCERequest {
				emit(RuleTask, fmt.Sprintf("%s: %s opnum %d", RuleTask.Name, r.Interface, r.Opnum), "", map[string]any{"interface": r.Interface, "opnum": r.Opnum})
			}
		case "iwbemlevel1login", "iwbemservices":
			emit(RuleWMI, fmt.Sprintf("%s: %s on %s", RuleWMI.Name, r.Interface, f.Server.Addr()), "", map[string]any{"interface": r.Interface, "opnum": r.Opnum})
		}
	case *proto.SMB:
		name := strings.ToLower(r.FileName)
		if strings.Contains(name, "psexesvc") || strings.Contains(name, "remcom") || strings.Contains(name, "paexec") {
			emit(RulePsExec, fmt.Sprintf("%s: %s on %s", RulePsExec.Name, r.FileName, f.Server.Addr()), "",
				map[string]any{"file": r.FileName, "share": r.Share})
		}
		share := strings.ToUpper(r.Share)
		if !r.Reply && (r.Command == proto.SMB2Create && r.Version == 2 || r.Command == proto.SMB1NTCreate && r.Version == 1) &&
			(strings.HasSuffix(share, `\ADMIN$`) || strings.HasSuffix(share, `\C$`)) &&
			(strings.HasSuffix(name, ".exe") || strings.HasSuffix(name, ".dll") || strings.HasSuffix(name, ".bat") || strings.HasSuffix(name, ".ps1")) {
			emit(RuleAdminShare, fmt.Sprintf("%s: %s on %s", RuleAdminShare.Name, r.FileName, r.Share), r.FileName,
				map[string]any{"file": r.FileName, "share": r.Share})
		}
	case *proto.HTTPRequest:
		uri := strings.ToLower(r.URI)
		if r.Method == "POST" && (strings.HasPrefix(uri, "/wsman") || strings.Contains(strings.ToLower(r.ContentType), "application/soap+xml") && strings.Contains(r.UserAgent, "WinRM")) {
			emit(RuleWinRM, fmt.Sprintf("%s: POST %s to %s (%s)", RuleWinRM.Name, clip(r.URI), f.Server, r.UserAgent), "",
				map[string]any{"uri": clip(r.URI), "user_agent": r.UserAgent})
		}
	}
}

func (d *Detector) flowEnd(env *analysis.Env, o *analysis.Observation, emit func(*analysis.Rule, string, string, map[string]any)) {
	f := o.Flow
	cfg := &env.Config.Lateral
	if f.Proto != packet.ProtoTCP || !(o.App == proto.AppRDP || f.Server.Port() == 3389) {
		return
	}
	if f.State < flowtable.StateEstablished || int64(f.Bytes[0]+f.Bytes[1]) < cfg.RDPMinBytes {
		return
	}
	k := pair{f.Client.Addr(), f.Server.Addr()}
	if _, ok := d.rdp[k]; !ok && len(d.rdp) >= 1<<16 {
		clear(d.rdp)
	}
	var kept []int64
	for _, t := range d.rdp[k] {
		if f.Last-t <= cfg.RDPWindow.Nanos() {
			kept = append(kept, t)
		}
	}
	kept = append(kept, f.Last)
	if len(kept) > 64 {
		kept = kept[len(kept)-64:]
	}
	d.rdp[k] = kept
	if len(kept) >= cfg.RDPSessions {
		emit(RuleRDP, fmt.Sprintf("%s: %d sessions from %s to %s within %s", RuleRDP.Name, len(kept), f.Client.Addr(), f.Server, cfg.RDPWindow), "",
			map[string]any{"sessions": len(kept)})
	}
}

func guessTool(service, path string) string {
	s := strings.ToLower(service + " " + path)
	switch {
	case strings.Contains(s, "psexesvc") || strings.Contains(s, "paexec") || strings.Contains(s, "remcom"):
		return "PsExec"
	case strings.Contains(s, "%comspec%") || strings.Contains(s, "cmd.exe /q /c") || strings.Contains(s, "__output"):
		return "smbexec"
	case strings.Contains(s, "powershell"):
		return "powershell"
	}
	return ""
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
