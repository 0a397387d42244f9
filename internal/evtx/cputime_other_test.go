//go:build !unix

package evtx

func cpuSeconds() float64 { return 0 }

func childCPUSeconds() float64 { return 0 }
