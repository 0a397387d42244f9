package spool_test

import (
	"fmt"
	"os"

	"github.com/medshield/medshield/internal/agent/spool"
)

func Example() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		panic(err)
	}
	defer sp.Close()

	sp.Append([]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`))
	b, _ := sp.Peek(2, 1<<20) // the two oldest records, not yet consumed
	fmt.Printf("%s %s\n", b.Records[0], b.Records[1])
	sp.Ack(b.Next) // after the server has committed them
	fmt.Println(sp.Stats().Records, "waiting")
	// Output:
	// {"n":1} {"n":2}
	// 1 waiting
}
