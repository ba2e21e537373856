package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// APIError is a status the apiserver answered with, e.g. NotFound.
type APIError struct {
	Code    int
	Reason  string // the apiserver's machine-readable reason: NotFound, AlreadyExists, ...
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("apiserver: %d %s: %s", e.Code, e.Reason, e.Message)
}

// IsNotFound reports whether err is the apiserver's NotFound.
func IsNotFound(err error) bool { return hasReason(err, "NotFound") }

// IsAlreadyExists reports whether err is the apiserver's AlreadyExists.
func IsAlreadyExists(err error) bool { return hasReason(err, "AlreadyExists") }

func hasReason(err error, reason string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Reason == reason
}

// Do sends in (if not nil) as JSON to the apiserver at path and decodes the
// answer into out (if not nil). A status of 400 or more is an *APIError.
func (c *Cluster) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	data, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// Raw is Do for answers that are not JSON, such as a pod's log.
func (c *Cluster) Raw(ctx context.Context, method, path string) ([]byte, error) {
	return c.send(ctx, method, path, nil)
}

func (c *Cluster) send(ctx context.Context, method, path string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		apiErr := &APIError{Code: resp.StatusCode, Message: string(bytes.TrimSpace(data))}
		var status struct{ Reason, Message string }
		if json.Unmarshal(data, &status) == nil && status.Reason != "" {
			apiErr.Reason, apiErr.Message = status.Reason, status.Message
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, apiErr)
	}
	return data, nil
}

// poll calls check every 100 ms until it reports done or fails, or ctx
// ends; after a deadline the error carries the state check saw last.
func poll(ctx context.Context, what string, check func(context.Context) (state string, done bool, err error)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		state, done, err := check(ctx)
		if done {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last seen: %s)", what, ctx.Err(), state)
		case <-tick.C:
		}
	}
}
