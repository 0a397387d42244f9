package response_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medshield/medshield/internal/response"
)

func ExampleExecutor_Execute() {
	tmp, _ := os.MkdirTemp("", "response-example")
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "suspicious.ps1")
	os.WriteFile(path, []byte("Write-Host hello"), 0o644)

	x := &response.Executor{MaxCollect: 5}
	args, _ := json.Marshal(map[string]any{"path": path})
	res, err := x.Execute(context.Background(), "collect-file", args)
	if err != nil {
		panic(err)
	}
	c := res.(response.CollectResult)
	fmt.Println(c.Size, c.Returned, c.Truncated, c.Content, c.SHA256[:12])

	_, err = x.Execute(context.Background(), "kill-process", json.RawMessage(`{"pid": 1}`))
	fmt.Println(err)
	// Output:
	// 16 5 true V3JpdGU= a8c2cfcda102
	// kill-process: refused: pid 1 is the init process
}
