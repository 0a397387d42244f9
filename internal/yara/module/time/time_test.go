package time

import (
	"testing"
	gotime "time"

	"github.com/medshield/medshield/internal/yara/module"
)

func TestNow(t *testing.T) {
	fixed := gotime.Date(2026, 1, 2, 3, 4, 5, 0, gotime.UTC)
	for _, tc := range []struct {
		name string
		m    *Module
		want func() int64
	}{
		{"fixed clock", &Module{Now: func() gotime.Time { return fixed }}, func() int64 { return fixed.Unix() }},
		{"system clock", New(), func() int64 { return gotime.Now().Unix() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.m.Schema().Lookup("now")
			if f == nil || len(f.Funcs) != 1 || f.Funcs[0].Args != "" || f.Funcs[0].Result != module.KindInteger {
				t.Fatalf("time.now schema = %+v", f)
			}
			got := f.Funcs[0].Impl(&module.ScanContext{}, nil, nil)
			if d := tc.want() - got.I; got.Undefined || d < 0 || d > 2 {
				t.Errorf("now() = %+v, want about %d", got, tc.want())
			}
		})
	}
}
