package evtx

import (
	"bytes"
	"fmt"
	"io"
)

// A Reader returns the records of a file in order; Fields gives the flat map
// Sigma rules are matched against.
func ExampleReader_Next() {
	data := buildFile(buildChunk(sysmonLike)) // an in-memory .evtx file
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{
		OnError: func(err error) { fmt.Println("skipped:", err) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		f := rec.Fields()
		fmt.Println(f["Channel"], f["EventID"], f["TimeCreated_SystemTime"])
		fmt.Println(f["CommandLine"], f["LogonId"])
	}
	// Output:
	// Microsoft-Windows-Sysmon/Operational 1 2019-04-17T18:40:00.1234567Z
	// cmd.exe /c "echo <a&b>" 0x3e7
}

// Records render as XML the way Windows tools print them.
func ExampleRecord_XML() {
	data := buildFile(buildChunk(sysmonLike))
	r, _ := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
	rec, _ := r.Next()
	x, _ := rec.XML()
	fmt.Print(string(x))
	// Output:
	// <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
	//   <System>
	//     <Provider Name="Microsoft-Windows-Sysmon" Guid="{5A690B90-531B-4FB2-9C84-2B5121310956}"/>
	//     <EventID>1</EventID>
	//     <TimeCreated SystemTime="2019-04-17T18:40:00.1234567Z"/>
	//     <Correlation/>
	//     <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
	//     <Security UserID="S-1-5-18"/>
	//   </System>
	//   <EventData>
	//     <Data Name="CommandLine">cmd.exe /c "echo &lt;a&amp;b&gt;"</Data>
	//     <Data Name="LogonId">0x3e7</Data>
	//     <Data>one</Data>
	//     <Data>two</Data>
	//   </EventData>
	// </Event>
}
