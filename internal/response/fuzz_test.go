package response

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeArgs feeds arbitrary argument JSON to every command's decoder
// and validator (not to the commands themselves): it must never panic, and
// a failure must always be ErrInvalidArgs.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{`{"pid":12,"tree":true}`, `{"path":"/tmp/x","rule":"r"}`, `{"id":"0190-ab","to":"/x","overwrite":true}`,
		`{"path":"/etc/hosts","max_bytes":10}`, `{"allow":["10.0.0.1:443","[::1]:80"],"allow_dns":true,"dns_servers":["10.0.0.53"]}`, `{}`, `null`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, v := range []validator{&KillArgs{}, &QuarantineArgs{}, &RestoreArgs{}, &DeleteArgs{}, &CollectArgs{}, &IsolateArgs{}, &UnisolateArgs{}} {
			if err := decodeArgs(json.RawMessage(raw), v, true); err != nil && !errors.Is(err, ErrInvalidArgs) {
				t.Fatalf("%T: error %v is not ErrInvalidArgs", v, err)
			}
		}
	})
}
