//go:build !linux

package scansched

import "os"

func openForScan(path string) (*os.File, error) { return os.Open(path) }
