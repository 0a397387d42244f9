package event

import "testing"

func BenchmarkFlatten(b *testing.B) {
	ev := New(KindEvent, "windows.sysmon", "process_creation")
	ev.Process = &Process{PID: 42, Name: "powershell.exe", CommandLine: "powershell -enc AAAA", Executable: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`}
	ev.Fields = map[string]any{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1", "Image": `C:\x.exe`, "CommandLine": "x", "ParentImage": `C:\p.exe`, "User": "u", "Hashes": "SHA256=abc"}
	ev.Labels = map[string]string{"a": "b"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = ev.Flatten()
	}
}
