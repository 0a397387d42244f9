package quarantine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Blob format (all integers big-endian):
//
//	magic "MSQB" | version 1 | chunk size uint32 | nonce prefix [7]byte
//	then sealed chunks: every chunk but the last holds exactly chunk size
//	plaintext bytes; the last holds fewer (possibly zero) and is sealed with
//	its "last" flag set, so truncation and reordering are detected.
//
// The nonce of chunk i is prefix | i (uint32) | last (0 or 1), the STREAM
// construction; the record id is the additional data, so a blob cannot be
// swapped with another record's.
const (
	blobMagic     = "MSQB"
	blobVersion   = 1
	headerLen     = 4 + 1 + 4 + 7
	defaultChunk  = 64 << 10
	maxChunk      = 1 << 20
	noncePrefixLn = 7
)

// ErrTampered is returned (wrapped) when a blob fails authentication: it was
// modified, truncated, or belongs to another record or key.
var ErrTampered = errors.New("quarantine blob failed authentication (corrupted or tampered)")

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("key is %d bytes, want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func chunkNonce(prefix []byte, i uint32, last bool) []byte {
	n := make([]byte, 12)
	copy(n, prefix)
	binary.BigEndian.PutUint32(n[7:11], i)
	if last {
		n[11] = 1
	}
	return n
}

// encrypt reads r to its end and writes the sealed blob to w.
func encrypt(w io.Writer, r io.Reader, key, ad []byte, chunk int) error {
	aead, err := newAEAD(key)
	if err != nil {
		return err
	}
	hdr := make([]byte, headerLen)
	copy(hdr, blobMagic)
	hdr[4] = blobVersion
	binary.BigEndian.PutUint32(hdr[5:9], uint32(chunk))
	prefix := hdr[9:headerLen]
	if _, err := rand.Read(prefix); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, chunk, chunk+aead.Overhead())
	for i := uint32(0); ; i++ {
		n, rerr := io.ReadFull(r, buf[:chunk])
		last := rerr != nil
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return fmt.Errorf("read: %w", rerr)
		}
		if i == ^uint32(0) && !last {
			return errors.New("file too large for the blob format")
		}
		out := aead.Seal(buf[:0], chunkNonce(prefix, i, last), buf[:n], ad)
		if _, err := w.Write(out); err != nil {
			return err
		}
		buf = out[:chunk] // reuse the same backing array
		if last {
			return nil
		}
	}
}

// decrypt authenticates and decrypts a blob from r into w. Plaintext of a
// chunk is written only after that chunk authenticated; on error, earlier
// chunks may already be written, so callers write to a temporary file.
func decrypt(w io.Writer, r io.Reader, key, ad []byte) error {
	aead, err := newAEAD(key)
	if err != nil {
		return err
	}
	hdr := make([]byte, headerLen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fmt.Errorf("%w: short header", ErrTampered)
	}
	if string(hdr[:4]) != blobMagic {
		return fmt.Errorf("%w: bad magic %q", ErrTampered, hdr[:4])
	}
	if hdr[4] != blobVersion {
		return fmt.Errorf("unsupported blob version %d", hdr[4])
	}
	chunk := int(binary.BigEndian.Uint32(hdr[5:9]))
	if chunk <= 0 || chunk > maxChunk {
		return fmt.Errorf("%w: chunk size %d out of range", ErrTampered, chunk)
	}
	prefix := hdr[9:headerLen]
	sealed := make([]byte, chunk+aead.Overhead())
	plain := make([]byte, 0, chunk)
	for i := uint32(0); ; i++ {
		n, rerr := io.ReadFull(r, sealed)
		switch {
		case rerr == nil:
			// A full chunk is never the last one (the encoder always ends
			// with a short chunk).
			p, err := aead.Open(plain[:0], chunkNonce(prefix, i, false), sealed, ad)
			if err != nil {
				return fmt.Errorf("%w: chunk %d", ErrTampered, i)
			}
			if _, err := w.Write(p); err != nil {
				return err
			}
		case rerr == io.ErrUnexpectedEOF:
			p, err := aead.Open(plain[:0], chunkNonce(prefix, i, true), sealed[:n], ad)
			if err != nil {
				return fmt.Errorf("%w: chunk %d", ErrTampered, i)
			}
			_, err = w.Write(p)
			return err
		case rerr == io.EOF:
			return fmt.Errorf("%w: truncated after chunk %d", ErrTampered, i)
		default:
			return fmt.Errorf("read blob: %w", rerr)
		}
		if i == ^uint32(0) {
			return fmt.Errorf("%w: too many chunks", ErrTampered)
		}
	}
}
