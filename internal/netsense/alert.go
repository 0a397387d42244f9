package netsense

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/netsense/analysis"
	"github.com/medshield/medshield/internal/netsense/packet"
)

// RulesetName is the rule.ruleset of every sensor alert.
const RulesetName = "medshield-netsense"

// suppression is a compiled Config.Suppress entry.
type suppression struct {
	rule     string
	prefix   bool
	src, dst netip.Prefix // zero value: any
}

func compileSuppressions(list []analysis.Suppression) ([]suppression, error) {
	var out []suppression
	for i, e := range list {
		if e.Rule == "" {
			return nil, fmt.Errorf("suppress[%d]: rule is required (use \"*\" for all rules)", i)
		}
		sp := suppression{rule: strings.TrimSuffix(e.Rule, "*"), prefix: strings.HasSuffix(e.Rule, "*")}
		for _, x := range []struct {
			s   string
			dst *netip.Prefix
		}{{e.Src, &sp.src}, {e.Dst, &sp.dst}} {
			if x.s == "" {
				continue
			}
			p, err := netip.ParsePrefix(x.s)
			if err != nil {
				a, aerr := netip.ParseAddr(x.s)
				if aerr != nil {
					return nil, fmt.Errorf("suppress[%d]: %q is not an address or network", i, x.s)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			*x.dst = p.Masked()
		}
		out = append(out, sp)
	}
	return out, nil
}

func (s *Sensor) suppressed(a *analysis.Alert) bool {
	for _, sp := range s.supp {
		if sp.prefix && !strings.HasPrefix(a.Rule.ID, sp.rule) || !sp.prefix && a.Rule.ID != sp.rule {
			continue
		}
		if sp.src.IsValid() && !sp.src.Contains(a.Src.Addr().Unmap()) || sp.dst.IsValid() && !sp.dst.Contains(a.Dst.Addr().Unmap()) {
			continue
		}
		return true
	}
	return false
}

func (s *Sensor) emit(a analysis.Alert) {
	if len(s.supp) > 0 && s.suppressed(&a) {
		s.stats.Suppressed++
		return
	}
	key := fmt.Sprintf("%s|%s|%s|%s", a.Rule.ID, a.Src.Addr(), a.Dst.Addr(), a.Key)
	if n, dup := s.seen[key]; dup {
		s.seen[key] = n + 1
		s.stats.Suppressed++
		return
	}
	if len(s.seen) >= maxDedup {
		clear(s.seen)
	}
	s.seen[key] = 1
	if a.Time == 0 {
		a.Time = s.now
	}
	ev := ToEvent(a)
	s.stats.Alerts++
	if len(s.alerts) < s.keep {
		s.alerts = append(s.alerts, ev)
	}
	s.stats.Rules[a.Rule.ID]++
	if s.eve != nil {
		s.eve.alert(a)
	}
	if s.onAlert != nil {
		s.onAlert(ev)
	}
}

// ToEvent turns an alert into a medshield event (kind alert).
func ToEvent(a analysis.Alert) event.Event {
	ev := event.New(event.KindAlert, "netsense.alert", a.Rule.ID)
	ev.Timestamp = time.Unix(0, a.Time).UTC()
	ev.Category = "network"
	ev.Severity = a.Rule.Severity
	ev.Rule = &event.Rule{ID: a.Rule.ID, Name: a.Rule.Name, Ruleset: RulesetName, Level: level(a.Rule.Severity)}
	if a.Rule.Technique != "" {
		ev.Techniques = []string{a.Rule.Technique}
	}
	if a.Src.IsValid() {
		ev.Source = &event.Endpoint{IP: a.Src.Addr().String(), Port: int(a.Src.Port())}
	}
	if a.Dst.IsValid() {
		ev.Destination = &event.Endpoint{IP: a.Dst.Addr().String(), Port: int(a.Dst.Port())}
	}
	ev.Message = a.Message
	if ev.Message == "" {
		ev.Message = a.Rule.Name
	}
	ev.Labels = map[string]string{"signature_id": fmt.Sprint(a.Rule.SID), "category": a.Rule.Category}
	if p := protoName(a.Proto); p != "" {
		ev.Labels["network.transport"] = p
	}
	ev.Fields = map[string]any{}
	if a.Indicator != "" {
		ev.Fields["threat.indicator"] = a.Indicator
	}
	if a.FlowID != 0 {
		ev.Fields["flow.id"] = a.FlowID
	}
	for k, v := range a.Evidence {
		ev.Fields["evidence."+k] = v
	}
	return ev
}

func level(sev int) string {
	switch {
	case sev >= event.SeverityCritical:
		return "critical"
	case sev >= event.SeverityHigh:
		return "high"
	case sev >= event.SeverityMedium:
		return "medium"
	case sev >= event.SeverityLow:
		return "low"
	}
	return "informational"
}

func protoName(p uint8) string {
	switch p {
	case packet.ProtoTCP:
		return "TCP"
	case packet.ProtoUDP:
		return "UDP"
	case packet.ProtoICMP:
		return "ICMP"
	case packet.ProtoICMPv6:
		return "IPv6-ICMP"
	case 0:
		return ""
	}
	return fmt.Sprint(p)
}
