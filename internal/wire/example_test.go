package wire_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/wire"
)

func Example() {
	ev := event.Event{
		Timestamp: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC),
		ID:        "0193a1b2-0000-7000-8000-000000000001",
		Kind:      event.KindEvent,
		Message:   "process started",
	}
	body, _ := wire.Encode([]event.Event{ev}) // agent side

	evs, err := wire.DecodeBytes(body, wire.Limits{}) // server side
	fmt.Println(len(evs), err, evs[0].Message)

	ev.ID = "not-a-uuid"
	body, _ = wire.Encode([]event.Event{ev})
	_, err = wire.DecodeBytes(body, wire.Limits{})
	var we *wire.Error
	if errors.As(err, &we) {
		fmt.Println(we.HTTPStatus(), we.Reason, we.Line)
	}
	// Output:
	// 1 <nil> process started
	// 400 invalid_event 1
}
