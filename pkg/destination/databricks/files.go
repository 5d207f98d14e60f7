package databricks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/settings"
)

// filesClient uploads and deletes files of a Unity Catalog volume through
// the workspace's Files API (PUT and DELETE /api/2.0/fs/files{path}). The
// token travels in the Authorization header only; no error it returns
// holds it.
type filesClient struct {
	base  string // scheme://host[:port]
	token settings.Secret
	http  *http.Client
}

// filesAttempts bounds the tries of one request that the server refused
// for a while (429, 5xx) or that the network lost.
const filesAttempts = 5

// filesError is a Files API request the server refused.
type filesError struct {
	Method, Path string
	Status       int
	Code         string // the response's error_code
	Message      string
}

func (e *filesError) Error() string {
	msg := fmt.Sprintf("Files API %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// retryable reports whether the request may succeed when tried again.
func (e *filesError) retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// endpoint returns the URL of the Files API for a volume path.
func (c *filesClient) endpoint(kind, path string) string {
	return c.base + "/api/2.0/fs/" + kind + (&url.URL{Path: path}).EscapedPath()
}

// upload PUTs the file at local to the volume path remote, replacing any
// file of that name (staged files are named by their content, so a
// replaced file holds the same bytes).
func (c *filesClient) upload(ctx context.Context, remote, local string) error {
	return c.do(ctx, http.MethodPut, "files", remote, func() (io.ReadCloser, int64, error) {
		f, err := os.Open(local)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	})
}

// remove deletes the volume file at remote; a file already gone is no
// error.
func (c *filesClient) remove(ctx context.Context, remote string) error {
	return c.do(ctx, http.MethodDelete, "files", remote, nil)
}

// removeDir deletes the empty volume folder at remote; a folder already
// gone is no error.
func (c *filesClient) removeDir(ctx context.Context, remote string) error {
	return c.do(ctx, http.MethodDelete, "directories", remote, nil)
}

// do sends one request, trying again when the server is busy or the
// network failed; body, when set, opens the body anew for each try.
func (c *filesClient) do(ctx context.Context, method, kind, path string, body func() (io.ReadCloser, int64, error)) error {
	var last error
	for n := 1; n <= filesAttempts; n++ {
		retry, err := c.once(ctx, method, kind, path, body)
		if err == nil || !retry {
			return err
		}
		last = err
		if n < filesAttempts {
			if werr := (backoff{Min: 500 * time.Millisecond, Max: 8 * time.Second}).wait(ctx, n); werr != nil {
				return errors.Join(last, werr)
			}
		}
	}
	return last
}

// once sends the request once and says whether a failure is worth
// another try.
func (c *filesClient) once(ctx context.Context, method, kind, path string, body func() (io.ReadCloser, int64, error)) (retry bool, err error) {
	u := c.endpoint(kind, path)
	if method == http.MethodPut {
		u += "?overwrite=true"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return false, fmt.Errorf("%s %s through the Files API: %w", method, path, err)
	}
	if body != nil {
		rc, size, err := body()
		if err != nil {
			return false, fmt.Errorf("%s %s through the Files API: %w", method, path, err)
		}
		req.Body, req.ContentLength = rc, size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	resp, err := c.http.Do(req)
	if err != nil {
		// A *url.Error names the URL, which holds the path and no
		// credential.
		return ctx.Err() == nil, fmt.Errorf("%s %s through the Files API: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 || (method == http.MethodDelete && resp.StatusCode == http.StatusNotFound) {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return false, nil
	}
	fe := &filesError{Method: method, Path: path, Status: resp.StatusCode}
	var detail struct {
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &detail) == nil {
		fe.Code, fe.Message = detail.Code, strings.TrimSpace(detail.Message)
	}
	return fe.retryable(), fe
}
