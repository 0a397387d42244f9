package osv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// DefaultEcosystems are the exports a hospital site usually needs.
var DefaultEcosystems = []string{"Debian", "Ubuntu", "Alpine", "Red Hat", "Rocky Linux", "AlmaLinux", "openEuler", "Go", "PyPI", "npm"}

// MaxDownload bounds one downloaded export (osv.dev's largest is a few
// hundred MiB).
const MaxDownload = 2 << 30

// Update downloads BASE/<ecosystem>/all.zip for each ecosystem (the layout
// of osv.dev's public bucket) and imports each into the data directory.
// One failed ecosystem does not stop the others; the errors are joined.
func Update(ctx context.Context, client *http.Client, base string, ecosystems []string, data string) ([]Source, error) {
	if client == nil {
		client = http.DefaultClient
	}
	var out []Source
	var errs []string
	for _, eco := range ecosystems {
		s, err := updateOne(ctx, client, base, eco, data)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("update: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

func updateOne(ctx context.Context, client *http.Client, base, eco, data string) (Source, error) {
	u := strings.TrimSuffix(base, "/") + "/" + url.PathEscape(eco) + "/all.zip"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Source{}, fmt.Errorf("%s: %w", eco, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Source{}, fmt.Errorf("%s: %w", eco, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Source{}, fmt.Errorf("%s: %s: HTTP %d", eco, u, resp.StatusCode)
	}
	if err := os.MkdirAll(Dir(data), 0o755); err != nil {
		return Source{}, err
	}
	tmp, err := os.CreateTemp(Dir(data), ".download-*.zip")
	if err != nil {
		return Source{}, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, MaxDownload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Source{}, fmt.Errorf("%s: download: %w", eco, err)
	}
	if n > MaxDownload {
		return Source{}, fmt.Errorf("%s: download larger than %d bytes", eco, int64(MaxDownload))
	}
	s, err := Import(ctx, tmp.Name(), data, eco, u)
	if err != nil {
		return Source{}, fmt.Errorf("%s: %w", eco, err)
	}
	return s, nil
}
