//go:build !linux && !windows

package response

import (
	"context"
	"errors"
)

// NewFirewall returns a firewall that refuses: host isolation is built for
// Linux and Windows only.
func NewFirewall(Runner) Firewall { return unsupported{} }

type unsupported struct{}

var errUnsupported = errors.New("host isolation is not supported on this platform")

func (unsupported) Isolate(context.Context, Policy) (string, error) { return "", errUnsupported }
func (unsupported) Unisolate(context.Context) error                 { return nil }
