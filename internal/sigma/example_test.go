package sigma_test

import (
	"fmt"
	"testing/fstest"
	"time"

	"github.com/medshield/medshield/internal/sigma"
)

// Example loads rules (here from an in-memory file system; the server uses
// its rules directory), matches events and feeds a correlation.
func Example() {
	rules := fstest.MapFS{"failed.yml": {Data: []byte(`
title: Failed logon
id: 4625aaaa-0000-4000-8000-000000000000
name: failed_logon
status: test
author: medshield docs
level: low
tags: [attack.credential-access]
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    filter: {IpAddress: '-'}
    condition: selection and not filter
---
title: Password guessing
id: 4625bbbb-0000-4000-8000-000000000000
author: medshield docs
level: high
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition: {gte: 3}
`)}}
	rs, diags, err := sigma.LoadFS(rules, sigma.Options{})
	if err != nil || diags.Err() != nil {
		fmt.Println(err, diags.Err())
		return
	}
	corr := rs.NewCorrelator()
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 4; i++ {
		ev := sigma.MapEvent{"Channel": "Security", "EventID": "4625", "IpAddress": "10.0.0.7", "TargetUserName": "admin"}
		ms := rs.Match(ev)
		for _, m := range ms {
			fmt.Printf("match %q level=%s author=%q correlation-only=%v\n", m.Rule.Title, m.Rule.Level, m.Rule.Author, m.Rule.CorrelationOnly)
		}
		corr.Observe(ev, start.Add(time.Duration(i)*time.Second), ms, nil)
	}
	for _, a := range corr.Flush() {
		fmt.Printf("%s: %s count=%v\n", a.Rule.Title, a.GroupString(), a.Value)
	}
	// Output:
	// match "Failed logon" level=low author="medshield docs" correlation-only=true
	// match "Failed logon" level=low author="medshield docs" correlation-only=true
	// match "Failed logon" level=low author="medshield docs" correlation-only=true
	// match "Failed logon" level=low author="medshield docs" correlation-only=true
	// Password guessing: IpAddress=10.0.0.7 count=4
}
