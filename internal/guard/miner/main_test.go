package miner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// The tests re-execute this test binary as helper processes with a
// command line of their choosing (argv[0] included); the role comes from
// MINER_TEST_ROLE, so the helpers never run the tests themselves.
func TestMain(m *testing.M) {
	switch os.Getenv("MINER_TEST_ROLE") {
	case "":
		os.Exit(m.Run())
	case "stratum":
		fakeMiner(os.Getenv("MINER_TEST_ADDR"))
	case "http":
		httpClient(os.Getenv("MINER_TEST_ADDR"))
	case "burst":
		spin(300 * time.Millisecond)
		time.Sleep(time.Minute)
	case "busy":
		spin(time.Minute)
	}
	os.Exit(0)
}

func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		for i := 0; i < 1e5; i++ {
			x += i
		}
	}
	_ = x
}

// fakeMiner speaks stratum JSON-RPC like a miner (subscribe and authorize,
// then XMRig's login) and keeps the connection open, as a miner does.
func fakeMiner(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	r := bufio.NewReader(c)
	for i, req := range []map[string]any{
		{"id": 1, "method": "mining.subscribe", "params": []string{"xmrig/6.21.0"}},
		{"id": 2, "method": "mining.authorize", "params": []string{testWallet, "x"}},
		{"id": 3, "jsonrpc": "2.0", "method": "login", "params": map[string]any{"login": testWallet, "pass": "x", "agent": "XMRig/6.21.0", "algo": []string{"rx/0"}}},
	} {
		b, _ := json.Marshal(req)
		if _, err := c.Write(append(b, '\n')); err != nil {
			os.Exit(4)
		}
		if _, err := r.ReadString('\n'); err != nil {
			fmt.Fprintf(os.Stderr, "reply %d: %v\n", i, err)
			os.Exit(5)
		}
	}
	io.Copy(io.Discard, r) // hold the connection until killed
}

// httpClient fetches a page over a kept-alive connection and stays.
func httpClient(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		os.Exit(3)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		os.Exit(4)
	}
	io.Copy(io.Discard, resp.Body)
	time.Sleep(time.Minute)
}
