package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func readAll(t *testing.T, data []byte) (recs []*Record, errs []error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{OnError: func(err error) { errs = append(errs, err) }})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, errs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, rec)
	}
}

func TestTemplateRecordRendersFieldsAndXML(t *testing.T) {
	recs, errs := readAll(t, buildFile(buildChunk(sysmonLike, sysmonLike)))
	if len(errs) != 0 || len(recs) != 2 {
		t.Fatalf("got %d records, errors %v", len(recs), errs)
	}
	f := recs[1].Fields()
	want := map[string]string{
		"Provider_Name":          "Microsoft-Windows-Sysmon",
		"Provider_Guid":          "{5A690B90-531B-4FB2-9C84-2B5121310956}",
		"EventID":                "1",
		"TimeCreated_SystemTime": "2019-04-17T18:40:00.1234567Z",
		"Channel":                "Microsoft-Windows-Sysmon/Operational",
		"Security_UserID":        "S-1-5-18",
		"CommandLine":            `cmd.exe /c "echo <a&b>"`,
		"LogonId":                "0x3e7",
		"Data":                   "one\ntwo",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("Fields()[%q] = %q, want %q", k, f[k], v)
		}
	}
	for _, k := range []string{"Correlation_ActivityID", "Hashes"} {
		if _, ok := f[k]; ok {
			t.Errorf("Fields() has %q, want it dropped (optional null)", k)
		}
	}
	xml, err := recs[0].XML()
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{
		`<Provider Name="Microsoft-Windows-Sysmon" Guid="{5A690B90-531B-4FB2-9C84-2B5121310956}"/>`,
		"<EventID>1</EventID>",
		"<Correlation/>",
		`<Data Name="CommandLine">cmd.exe /c "echo &lt;a&amp;b&gt;"</Data>`,
		"<Data>one</Data>\n    <Data>two</Data>",
		"  <EventData>\n",
	} {
		if !strings.Contains(string(xml), frag) {
			t.Errorf("XML lacks %q:\n%s", frag, xml)
		}
	}
	if strings.Contains(string(xml), `Name="Hashes"`) {
		t.Errorf("XML keeps the element of an optional null value:\n%s", xml)
	}
	flat := recs[0].Flat()
	ed := flat[SectionEventData].(map[string]any)
	if d, ok := ed["Data"].([]any); !ok || len(d) != 2 || d[0] != "one" || d[1] != "two" {
		t.Errorf("Flat EventData.Data = %#v, want [one two]", ed["Data"])
	}
}

func TestDamagedChunkIsSkippedAndReported(t *testing.T) {
	bad := buildChunk(sysmonLike)
	copy(bad, "XXXXXXXX")
	crcBad := buildChunk(sysmonLike)
	crcBad[600] ^= 0xff // inside the record: records checksum mismatch, data still used
	tests := []struct {
		name     string
		file     []byte
		records  int
		errs     int
		warnings int
	}{
		{"bad magic then good", buildFile(bad, buildChunk(sysmonLike)), 1, 1, 0},
		{"zeroed chunk skipped silently", buildFile(make([]byte, chunkSize), buildChunk(sysmonLike)), 1, 0, 0},
		{"checksum mismatch is a warning", buildFile(buildChunk(sysmonLike, sysmonLike)[:chunkSize]), 2, 0, 0},
		{"truncated mid-record", truncated(), 1, 1, 1},
		{"header only", buildFile(), 0, 0, 0},
	}
	tests[2].file = buildFile(crcBad)
	tests[2].records, tests[2].warnings = 1, 1
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, errs := readAll(t, tc.file)
			w := 0
			for _, e := range errs {
				if IsWarning(e) {
					w++
				}
			}
			if len(recs) != tc.records || len(errs)-w != tc.errs || w != tc.warnings {
				t.Errorf("records %d, errors %d, warnings %d; want %d, %d, %d (%v)", len(recs), len(errs)-w, w, tc.records, tc.errs, tc.warnings, errs)
			}
		})
	}
}

func TestNestingDepthIsLimited(t *testing.T) {
	deep := func(n int) func(*bx) {
		return func(x *bx) {
			for i := 0; i < n; i++ {
				x.open("E", false, false)
				x.closeStart()
			}
			for i := 0; i < n; i++ {
				x.end()
			}
		}
	}
	tests := []struct {
		depth int
		ok    bool
	}{{maxDepth - 1, true}, {maxDepth + 1, false}, {2000, false}}
	for _, tc := range tests {
		recs, errs := readAll(t, buildFile(buildChunk(deep(tc.depth))))
		if tc.ok && (len(recs) != 1 || len(errs) != 0) {
			t.Errorf("depth %d: %d records, errors %v; want it read", tc.depth, len(recs), errs)
		}
		if !tc.ok && (len(recs) != 0 || len(errs) != 1 || !errors.Is(errs[0], errDepth)) {
			t.Errorf("depth %d: %d records, errors %v; want one depth error", tc.depth, len(recs), errs)
		}
	}
}

func TestNotEVTX(t *testing.T) {
	_, err := NewReader(bytes.NewReader(make([]byte, 8192)), 8192, Options{})
	if !errors.Is(err, ErrNotEVTX) {
		t.Fatalf("err = %v, want ErrNotEVTX", err)
	}
}

// truncated is a file cut 100 bytes before the end of its second record.
func truncated() []byte {
	c := buildChunk(sysmonLike, sysmonLike)
	used := int(binary.LittleEndian.Uint32(c[48:]))
	return buildFile(c)[:fileHeaderSize+used-100]
}

// TestReadChunkConcurrently renders records of all chunks from several
// goroutines at once (run with -race) and checks they equal a sequential read.
func TestReadChunkConcurrently(t *testing.T) {
	data := buildFile(buildChunk(sysmonLike, sysmonLike), buildChunk(sysmonLike), buildChunk(sysmonLike, sysmonLike, sysmonLike))
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := readAll(t, data)
	var want []string
	for _, rec := range seq {
		x, err := rec.XML()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, string(x))
	}
	got := make([][]string, r.Chunks())
	var wg sync.WaitGroup
	for i := 0; i < r.Chunks(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs, err := r.ReadChunk(i)
			if err != nil {
				t.Error(err)
				return
			}
			for _, rec := range recs {
				_ = rec.Fields()
				x, _ := rec.XML()
				got[i] = append(got[i], string(x))
			}
		}()
	}
	wg.Wait()
	var flat []string
	for _, g := range got {
		flat = append(flat, g...)
	}
	if strings.Join(flat, "") != strings.Join(want, "") || len(flat) != 6 {
		t.Errorf("parallel read gave %d records, sequential %d, or different XML", len(flat), len(want))
	}
}

// repeatedChunks is a virtual .evtx file: a header followed by the same
// chunk n times, served without holding the file in memory.
type repeatedChunks struct {
	header, chunk []byte
	n             int
}

func (r *repeatedChunks) size() int64 { return fileHeaderSize + int64(r.n)*chunkSize }

func (r *repeatedChunks) ReadAt(p []byte, off int64) (int, error) {
	total := 0
	for len(p) > 0 {
		if off >= r.size() {
			return total, io.EOF
		}
		var src []byte
		if off < fileHeaderSize {
			src = r.header[off:]
		} else {
			src = r.chunk[(off-fileHeaderSize)%chunkSize:]
		}
		n := copy(p, src)
		p, off, total = p[n:], off+int64(n), total+n
	}
	return total, nil
}

func TestMemoryStaysBoundedOnLargeFile(t *testing.T) {
	chunk := buildChunk(sysmonLike, sysmonLike, sysmonLike)
	src := &repeatedChunks{header: buildFile(chunk)[:fileHeaderSize], chunk: chunk, n: 3000} // ~188 MiB
	r, err := NewReader(src, src.size(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	peak := uint64(0)
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = rec.Fields()
		n++
		if n%1500 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if n != 3*src.n {
		t.Fatalf("read %d records, want %d", n, 3*src.n)
	}
	if peak > 16<<20 {
		t.Errorf("heap in use reached %d MiB reading a %d MiB file; want it bounded by a few chunks", peak>>20, src.size()>>20)
	}
}

func TestRareTokensRender(t *testing.T) {
	recs, errs := readAll(t, buildFile(oddTokensChunk()))
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("got %d records, errors %v", len(recs), errs)
	}
	x, err := recs[0].XML()
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{
		"<Channel>A&amp;B☺</Channel>",
		`<Data Name="Script"><![CDATA[if (a < b) { x }]]></Data>`,
		`<Data Name="0x1,0xff">v</Data>`,
		`<?xml-stylesheet href="a.xsl"?>`,
		"<UserData>\n    <Wrap>\n      <Leaf a=\"1\">x</Leaf>\n    </Wrap>\n  </UserData>",
	} {
		if !strings.Contains(string(x), frag) {
			t.Errorf("XML lacks %q:\n%s", frag, x)
		}
	}
	f := recs[0].Fields()
	want := map[string]string{"Channel": "A&B☺", "Script": "if (a < b) { x }", "0x1,0xff": "v", "_Root": "Wrap", "Leaf": "x", "Leaf_a": "1"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("Fields()[%q] = %q, want %q (all: %v)", k, f[k], v, f)
		}
	}
}

func TestTemplateExpansionIsLimited(t *testing.T) {
	recs, errs := readAll(t, buildFile(buildChunk(laughs)))
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("got %d records, errors %v", len(recs), errs)
	}
	if _, err := recs[0].XML(); !errors.Is(err, errTooLarge) {
		t.Errorf("XML error = %v, want errTooLarge", err)
	}
	if e, ok := recs[0].Flat()["_error"]; !ok || !strings.Contains(e.(string), errTooLarge.Error()) {
		t.Errorf(`Flat()["_error"] = %v, want the expansion limit`, e)
	}
	_ = recs[0].Fields() // bounded, must return
}

func TestTemplateParsingWorkIsLimitedPerChunk(t *testing.T) {
	// Definitions that claim more data than the chunk holds are parsed up
	// to the chunk end, which costs up to a chunk each: the budget stops the
	// fifth one.
	x := &bx{b: make([]byte, chunkHeaderSize)}
	var offs []int
	for i := 0; i < 6; i++ {
		offs = append(offs, x.pos())
		x.u32(0)
		x.raw(make([]byte, 16))
		x.u32(0x7fffffff)
		x.raw([]byte{0x0f, 1, 1, 0})
		x.open("E", true, false)
		x.closeEmpty()
		x.u8(0x00)
	}
	data := make([]byte, chunkSize)
	copy(data, x.b)
	c := &chunk{data: data, names: map[uint32]string{}, templates: map[uint32]*template{}, tmplErr: map[uint32]error{}}
	var errs int
	for _, o := range offs {
		if _, err := c.template(uint32(o), 0); err != nil {
			errs++
			if !strings.Contains(err.Error(), "too much template data") {
				t.Errorf("template at %#x: %v", o, err)
			}
		}
	}
	// Each parse costs just under a chunk: four fit in the budget of four chunks.
	if errs != 2 {
		t.Errorf("%d of %d definitions refused, want 2 (the fifth and sixth)", errs, len(offs))
	}
}

// A <Data> holding markup cannot be streamed: Fields and Flat fall back to
// the expanded tree and give the markup as text.
func TestMarkupInsideDataFallsBackToTree(t *testing.T) {
	plain := func(x *bx) {
		x.open("Event", false, false)
		x.closeStart()
		x.open("System", false, false)
		x.closeStart()
		x.open("EventID", false, false)
		x.closeStart()
		x.text("4")
		x.end()
		x.end()
		x.open("EventData", false, false)
		x.closeStart()
		x.open("Data", false, true)
		x.attr("Name")
		x.text("X")
		x.closeStart()
		x.open("Inner", false, true)
		x.attr("k")
		x.text("v")
		x.closeStart()
		x.text("y")
		x.end()
		x.end()
		x.end()
		x.end()
	}
	recs, errs := readAll(t, buildFile(buildChunk(plain)))
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("got %d records, errors %v", len(recs), errs)
	}
	if err := recs[0].streamFlat(func(string, string, string, bool) {}, func(string) {}); err != errComplex {
		t.Fatalf("streamFlat = %v, want errComplex", err)
	}
	f := recs[0].Fields()
	if f["EventID"] != "4" || f["X"] != `<Inner k="v">y</Inner>` {
		t.Errorf("Fields() = %v", f)
	}
	ed, _ := recs[0].Flat()[SectionEventData].(map[string]any)
	if ed["X"] != `<Inner k="v">y</Inner>` {
		t.Errorf("Flat EventData = %v", ed)
	}
}
