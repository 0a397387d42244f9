package packet

import (
	"net/netip"
	"sort"
)

// FragLimits bound the IP defragmenter.
type FragLimits struct {
	MaxDatagrams int   // datagrams under reassembly at once
	MaxBytes     int   // largest reassembled datagram
	TimeoutNanos int64 // a datagram older than this is dropped
}

// DefaultFragLimits are conservative: 64 KiB datagrams (the IP maximum),
// 4096 at once (256 MiB worst case would be too much, but fragments are
// only kept as received, so memory is what attackers actually send, capped
// at MaxDatagrams*MaxBytes), 30 s as in Linux.
var DefaultFragLimits = FragLimits{MaxDatagrams: 4096, MaxBytes: 65535, TimeoutNanos: 30e9}

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

type piece struct {
	off  int
	data []byte
}

type fragBuf struct {
	first  int64
	pieces []piece
	total  int // known when the last fragment arrived, else -1
	bytes  int
}

type defrag struct {
	lim     FragLimits
	m       map[fragKey]*fragBuf
	done    int
	dropped int
	buf     []byte
	sweepAt int64
}

func newDefrag(l FragLimits) *defrag { return &defrag{lim: l, m: map[fragKey]*fragBuf{}} }

// add stores a fragment and returns the whole datagram once every byte
// from 0 to the end has arrived. Overlaps keep the first copy of each byte
// range (as Windows and Linux targets differ, we only need one view).
func (d *defrag) add(k fragKey, now int64, off int, more bool, data []byte) ([]byte, bool) {
	if now > d.sweepAt {
		d.sweep(now)
		d.sweepAt = now + d.lim.TimeoutNanos/4
	}
	b := d.m[k]
	if b == nil {
		if len(d.m) >= d.lim.MaxDatagrams {
			d.dropped++
			return nil, false
		}
		b = &fragBuf{first: now, total: -1}
		d.m[k] = b
	}
	if off+len(data) > d.lim.MaxBytes || b.bytes+len(data) > 2*d.lim.MaxBytes {
		delete(d.m, k)
		d.dropped++
		return nil, false
	}
	b.pieces = append(b.pieces, piece{off, append([]byte(nil), data...)})
	b.bytes += len(data)
	if !more {
		b.total = off + len(data)
	}
	if b.total < 0 {
		return nil, false
	}
	sort.SliceStable(b.pieces, func(i, j int) bool { return b.pieces[i].off < b.pieces[j].off })
	have := 0
	for _, p := range b.pieces {
		if p.off > have {
			return nil, false // hole
		}
		have = max(have, p.off+len(p.data))
	}
	if have < b.total {
		return nil, false
	}
	if cap(d.buf) < b.total {
		d.buf = make([]byte, b.total)
	}
	out := d.buf[:b.total]
	filled := 0
	for _, p := range b.pieces {
		if end := p.off + len(p.data); end > filled {
			copy(out[filled:min(end, b.total)], p.data[filled-p.off:])
			filled = end
		}
	}
	delete(d.m, k)
	d.done++
	return out, true
}

func (d *defrag) sweep(now int64) {
	for k, b := range d.m {
		if now-b.first > d.lim.TimeoutNanos {
			delete(d.m, k)
			d.dropped++
		}
	}
}
