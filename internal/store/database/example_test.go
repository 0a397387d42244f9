package database_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/database"
)

// Open the default SQLite store in a data directory, append a batch (the
// duplicate is ignored) and search it by host and by any ECS field.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "medshield-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := database.Open(ctx, "", dir) // or "postgres://user:pass@host/db"
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	e := event.New(event.KindEvent, "process", "start")
	e.HostID, e.Message = "ward-3-pc", "process started"
	e.Process = &event.Process{PID: 4242, Name: "cmd.exe"}
	e.Techniques = []string{"T1059"}
	n, err := st.AppendEvents(ctx, []event.Event{e, e})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inserted", n)

	page, err := st.QueryEvents(ctx, store.EventQuery{
		HostID: "ward-3-pc",
		From:   time.Now().Add(-time.Hour),
		Fields: map[string]string{"process.pid": "4242", "threat.technique.id": "T1059"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found", len(page.Events), page.Events[0].Process.Name, "more:", page.Next != "")
	// Output:
	// inserted 1
	// found 1 cmd.exe more: false
}
