//go:build !linux

package yara

import (
	"context"
	"errors"
)

// ScanProcess is only available on Linux.
func (rs *Rules) ScanProcess(ctx context.Context, pid int, opts *ScanOptions) ([]RuleMatch, error) {
	return nil, errors.New("process memory scanning is only supported on Linux")
}
