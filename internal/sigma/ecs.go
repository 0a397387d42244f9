package sigma

import (
	"strings"

	"github.com/medshield/medshield/internal/event"
)

// ecsAliases maps Sigma's Windows field names to the ECS names an agent
// may ship them under, tried when the event has no field of the Sigma
// name itself or under winlog.event_data.
var ecsAliases = map[string][]string{
	"Channel":                {"winlog.channel"},
	"EventID":                {"winlog.event_id", "event.code"},
	"Provider_Name":          {"winlog.provider_name"},
	"Computer":               {"winlog.computer_name", "host.name"},
	"EventRecordID":          {"winlog.record_id"},
	"TimeCreated_SystemTime": {"@timestamp"},
	"Image":                  {"process.executable"},
	"CommandLine":            {"process.command_line"},
	"ProcessId":              {"process.pid"},
	"ParentProcessId":        {"process.parent.pid"},
	"ParentImage":            {"process.parent.executable"},
	"ParentCommandLine":      {"process.parent.command_line"},
	"User":                   {"user.name"},
	"TargetFilename":         {"file.path"},
	"Hashes":                 {"process.hash.sha256", "file.hash.sha256"},
	"SourceIp":               {"source.ip"},
	"SourcePort":             {"source.port"},
	"DestinationIp":          {"destination.ip"},
	"DestinationPort":        {"destination.port"},
	"DestinationHostname":    {"destination.domain"},
	"QueryName":              {"dns.question.name"},
}

// ECSEvent adapts a medshield event (ECS names) to the Sigma view: a Sigma
// field is looked up under its own name, then under winlog.event_data.<name>
// (where agents put Windows EventData), then under its ECS equivalent.
type ECSEvent struct {
	flat map[string]any
}

// FromEvent flattens e once for matching.
func FromEvent(e *event.Event) ECSEvent {
	return ECSEvent{flat: e.Flatten()}
}

// Get implements Event.
func (e ECSEvent) Get(field string) (any, bool) {
	if v, ok := e.flat[field]; ok {
		return v, true
	}
	if v, ok := e.flat["winlog.event_data."+field]; ok {
		return v, true
	}
	for _, a := range ecsAliases[field] {
		if v, ok := e.flat[a]; ok {
			return v, true
		}
	}
	return nil, false
}

// Range implements Event; keyword searches see every value.
func (e ECSEvent) Range(fn func(string, any) bool) {
	for k, v := range e.flat {
		if strings.HasPrefix(k, "event.id") {
			continue // our own UUID is not log content
		}
		if !fn(k, v) {
			return
		}
	}
}
