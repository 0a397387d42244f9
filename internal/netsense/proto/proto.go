// Package proto holds the sensor's application-protocol dissectors: DNS
// (UDP and TCP), HTTP/1.x, TLS handshakes (ClientHello with SNI, ALPN, JA3,
// JA4; ServerHello; certificate summary), SMB1/SMB2 with named pipes and
// DCE-RPC, Stratum and JSON-RPC mining, HL7 v2 over MLLP, the DICOM upper
// layer, the RDP X.224 connection request and cryptocurrency P2P
// handshakes. Each dissector turns bytes into typed records.
//
// Every parser is bounded (buffer sizes, element counts, name lengths) and
// fuzzed; on bad input it stops parsing that direction instead of
// guessing. Protocols are recognised by content, not by port, except DNS.
// The package decides nothing about threats (see netsense/detect) and keeps
// no global state. Only netsense and its detectors import it.
package proto

// Direction constants match flowtable: 0 = client to server.
const (
	ToServer = 0
	ToClient = 1
)

// Record is one dissected protocol event.
type Record interface{ isRecord() }

// Emit receives records; dir is the direction of the message.
type Emit func(dir int, r Record)

// Limits bound the dissectors.
type Limits struct {
	HTTPBody    int // bytes of each HTTP body kept for inspection
	HTTPHeaders int // bytes of a request/response head
	Message     int // any other framed message (TLS handshake, HL7, SMB, DICOM PDU prefix)
}

// DefaultLimits are the documented defaults.
var DefaultLimits = Limits{HTTPBody: 64 << 10, HTTPHeaders: 16 << 10, Message: 128 << 10}

// Stream is a per-flow application parser fed with reassembled bytes.
type Stream interface {
	Data(dir int, b []byte)
	Gap(dir int)
}

// Ender is implemented by streams that hold a message until the
// connection ends (an HTTP body delimited by close); the sensor calls End
// when the flow leaves the table.
type Ender interface{ End() }

// App names the protocol recognised on a flow.
type App string

// Application protocols.
const (
	AppUnknown App = ""
	AppHTTP    App = "http"
	AppTLS     App = "tls"
	AppSMB     App = "smb"
	AppDCERPC  App = "dcerpc"
	AppDNS     App = "dns"
	AppStratum App = "jsonrpc"
	AppHL7     App = "hl7"
	AppDICOM   App = "dicom"
	AppRDP     App = "rdp"
	AppMonero  App = "monero-p2p"
	AppBitcoin App = "bitcoin-p2p"
)

// Identify recognises a TCP protocol from the first bytes of either
// direction (first is whatever arrived first; dir says whose). Ports are
// only consulted for DNS over TCP, whose framing has no magic.
func Identify(dir int, first []byte, serverPort uint16) App {
	b := first
	switch {
	case serverPort == 53 || serverPort == 5353:
		return AppDNS
	case len(b) >= 8 && b[0] == 0 && (string(b[5:8]) == "SMB") && (b[4] == 0xff || b[4] == 0xfe || b[4] == 0xfd):
		return AppSMB
	case len(b) >= 4 && (b[0] == 0x81 || b[0] == 0x82 || b[0] == 0x85) && b[1] == 0: // NetBIOS session on 139
		return AppSMB
	case len(b) >= 3 && b[0] == 0x16 && b[1] == 3 && b[2] <= 4:
		return AppTLS
	case len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 1 && dir == ToServer: // SSLv2-format ClientHello
		return AppTLS
	case len(b) >= 1 && b[0] == 0x0b:
		return AppHL7
	case len(b) >= 10 && b[0] == 1 && b[1] == 0 && b[6] == 0 && b[7] == 1: // A-ASSOCIATE-RQ, protocol version 1
		return AppDICOM
	case len(b) >= 4 && b[0] == 3 && b[1] == 0:
		return AppRDP
	case len(b) >= 8 && string(b[:8]) == "\x01\x21\x01\x01\x01\x01\x01\x01":
		return AppMonero
	case len(b) >= 4 && string(b[:4]) == "\xf9\xbe\xb4\xd9":
		return AppBitcoin
	case len(b) >= 10 && b[0] == 5 && b[1] == 0 && (b[2] == 11 || b[2] == 0 || b[2] == 14):
		return AppDCERPC
	case isHTTPStart(b):
		return AppHTTP
	case len(b) >= 1 && b[0] == '{':
		return AppStratum
	}
	return AppUnknown
}

func isHTTPStart(b []byte) bool {
	for _, m := range httpMethods {
		if len(b) > len(m) && string(b[:len(m)]) == m && b[len(m)] == ' ' {
			return true
		}
	}
	return len(b) >= 8 && string(b[:7]) == "HTTP/1."
}

var httpMethods = []string{"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PROPPATCH", "SEARCH", "REPORT"}

// NewStream returns the parser for app, or nil if the app has none.
func NewStream(app App, lim *Limits, emit Emit) Stream {
	switch app {
	case AppHTTP:
		return newHTTP(lim, emit)
	case AppTLS:
		return newTLS(lim, emit)
	case AppSMB:
		return newSMB(lim, emit)
	case AppDCERPC:
		return newDCERPCStream(lim, emit)
	case AppDNS:
		return newDNSTCP(lim, emit)
	case AppStratum:
		return newJSONRPC(lim, emit)
	case AppHL7:
		return newHL7(lim, emit)
	case AppDICOM:
		return newDICOM(lim, emit)
	case AppRDP:
		return newRDP(lim, emit)
	case AppMonero, AppBitcoin:
		return newP2P(app, emit)
	}
	return nil
}

// buffer accumulates bytes of one direction up to a bound.
type buffer struct {
	b    []byte
	max  int
	dead bool // overflowed or desynchronised: ignore the rest
}

func (b *buffer) add(p []byte) bool {
	if b.dead {
		return false
	}
	if len(b.b)+len(p) > b.max {
		b.dead, b.b = true, nil
		return false
	}
	b.b = append(b.b, p...)
	return true
}

func (b *buffer) consume(n int) {
	b.b = b.b[:copy(b.b, b.b[n:])]
}
