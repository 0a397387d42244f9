package server

import (
	"errors"
	"net/http"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/wire"
)

// rejection is a refused batch: HTTP status plus the wire.Rejection body.
type rejection struct {
	status int
	wire.Rejection
}

// decodeBatch reads and validates a gzip JSON-lines batch within the
// server's limits; a bad batch is refused whole.
func (s *Server) decodeBatch(w http.ResponseWriter, r *http.Request) ([]event.Event, *rejection) {
	if r.Header.Get("Content-Encoding") != wire.ContentEncoding {
		return nil, &rejection{status: http.StatusUnsupportedMediaType,
			Rejection: wire.Rejection{Reason: "content_encoding", Error: "batches must be sent with Content-Encoding: gzip"}}
	}
	lim := s.cfg.Limits
	r.Body = http.MaxBytesReader(w, r.Body, lim.MaxBodyBytes)
	events, err := wire.Decode(r.Body, wire.Limits{
		MaxBody: lim.MaxBodyBytes, MaxDecompressed: lim.MaxDecompressedBytes,
		MaxRatio: int64(lim.MaxRatio), MaxEvents: lim.MaxEventsPerBatch,
	})
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, &rejection{status: we.HTTPStatus(), Rejection: we.Rejection()}
		}
		return nil, &rejection{status: http.StatusBadRequest, Rejection: wire.Rejection{Reason: "bad_batch", Error: err.Error()}}
	}
	return events, nil
}
