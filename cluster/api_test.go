package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func fakeAPI(t *testing.T, h http.HandlerFunc) *Cluster {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &Cluster{Server: srv.URL, token: "secret", client: srv.Client()}
}

func TestDoStatusErrors(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		body       string
		notFound   bool
		exists     bool
		wantReason string
	}{
		{"not found", 404, `{"kind":"Status","reason":"NotFound","message":"pods \"x\" not found"}`, true, false, "NotFound"},
		{"already exists", 409, `{"kind":"Status","reason":"AlreadyExists","message":"exists"}`, false, true, "AlreadyExists"},
		{"not a status", 502, `bad gateway`, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Bearer secret" {
					t.Errorf("Authorization = %q", got)
				}
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			})
			err := c.Do(context.Background(), http.MethodGet, "/api/v1/x", nil, nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			if apiErr.Code != tt.code || apiErr.Reason != tt.wantReason {
				t.Errorf("got %d %q, want %d %q", apiErr.Code, apiErr.Reason, tt.code, tt.wantReason)
			}
			if IsNotFound(err) != tt.notFound || IsAlreadyExists(err) != tt.exists {
				t.Errorf("IsNotFound = %v, IsAlreadyExists = %v for %v", IsNotFound(err), IsAlreadyExists(err), err)
			}
		})
	}
}

func TestDoRoundTrip(t *testing.T) {
	c := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		_, _ = w.Write([]byte(`{"status":{"phase":"Bound"}}`))
	})
	var out struct{ Status struct{ Phase string } }
	if err := c.Do(context.Background(), http.MethodPost, "/x", map[string]string{"a": "b"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Status.Phase != "Bound" {
		t.Errorf("phase = %q", out.Status.Phase)
	}
}

func TestPollReportsLastState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	err := poll(ctx, "the claim", func(context.Context) (string, bool, error) { return "Pending", false, nil })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last seen: Pending") {
		t.Errorf("err = %v, want a deadline that names the last state", err)
	}
	boom := errors.New("boom")
	err = poll(context.Background(), "x", func(context.Context) (string, bool, error) { return "", false, boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the check's error at once", err)
	}
}
