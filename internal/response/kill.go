package response

import (
	"context"
	"fmt"
	"os"
	"sort"
)

// KillArgs: {"pid": 1234, "tree": true}. tree also kills every descendant.
type KillArgs struct {
	PID  int  `json:"pid"`
	Tree bool `json:"tree,omitempty"`
}

func (a *KillArgs) validate() error {
	if a.PID <= 0 || a.PID > 1<<22 {
		return invalid("pid %d out of range", a.PID)
	}
	return nil
}

// KillResult lists what was killed; Failed maps a pid to why it was not.
type KillResult struct {
	PID    int            `json:"pid"`
	Name   string         `json:"name,omitempty"`
	Exe    string         `json:"exe,omitempty"`
	Killed []int          `json:"killed"`
	Failed map[int]string `json:"failed,omitempty"`
}

func (x *Executor) kill(_ context.Context, a KillArgs) (any, error) {
	self := x.self()
	if a.PID == 1 {
		return nil, fmt.Errorf("%w: pid 1 is the init process", ErrRefused)
	}
	if a.PID == self {
		return nil, fmt.Errorf("%w: pid %d is the agent itself", ErrRefused, a.PID)
	}
	targets := []int{a.PID}
	if a.Tree {
		parents, err := processParents()
		if err != nil {
			return nil, fmt.Errorf("list processes: %w", err)
		}
		if _, ok := parents[a.PID]; !ok {
			return nil, fmt.Errorf("pid %d: no such process", a.PID)
		}
		targets = descendants(parents, a.PID)
		for _, p := range targets {
			if p == self || p == 1 {
				return nil, fmt.Errorf("%w: the tree of pid %d contains pid %d (the agent or init)", ErrRefused, a.PID, p)
			}
		}
	}
	res := KillResult{PID: a.PID, Killed: []int{}}
	res.Name, res.Exe = processInfo(a.PID)
	// Stop the whole tree first so nothing in it forks or restarts a child
	// between the kills (where the platform can stop processes).
	for _, p := range targets {
		stopProcess(p)
	}
	for _, p := range targets {
		if err := killProcess(p); err != nil {
			if res.Failed == nil {
				res.Failed = map[int]string{}
			}
			res.Failed[p] = err.Error()
			continue
		}
		res.Killed = append(res.Killed, p)
	}
	if len(res.Killed) == 0 {
		return nil, fmt.Errorf("kill pid %d: %s", a.PID, res.Failed[a.PID])
	}
	return res, nil
}

// descendants returns root and all its descendants, root first.
func descendants(parents map[int]int, root int) []int {
	children := map[int][]int{}
	for pid, pp := range parents {
		children[pp] = append(children[pp], pid)
	}
	out := []int{root}
	seen := map[int]bool{root: true}
	for i := 0; i < len(out); i++ {
		kids := children[out[i]]
		sort.Ints(kids)
		for _, k := range kids {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func killProcess(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
