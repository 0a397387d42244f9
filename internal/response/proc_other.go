//go:build !linux && !windows

package response

import "errors"

func processParents() (map[int]int, error) {
	return nil, errors.New("process trees are not supported on this platform")
}

func processInfo(int) (string, string) { return "", "" }

func stopProcess(int) {}
