package harness

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	plain := errors.New("plain")
	invalid := Errorf(Invalid, "bad input")
	infra := Errorf(Infrastructure, "engine down")
	finding := Errorf(Finding, "data lost")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Unknown},
		{"plain error", plain, Unknown},
		{"plain error wrapped by fmt", fmt.Errorf("ctx: %w", plain), Unknown},
		{"direct", invalid, Invalid},
		{"through one fmt wrap", fmt.Errorf("step: %w", finding), Finding},
		{"through two fmt wraps", fmt.Errorf("a: %w", fmt.Errorf("b: %w", infra)), Infrastructure},
		{"formatted with %v loses the kind", fmt.Errorf("step: %v", invalid), Unknown},
		{"outermost kind wins", &Error{Kind: Finding, Err: infra}, Finding},
		{"outer Unknown inherits the inner kind", &Error{Op: "op", Err: infra}, Infrastructure},
		{"Unknown through fmt inherits", &Error{Op: "op", Err: fmt.Errorf("x: %w", invalid)}, Invalid},
		{"nested Unknowns over a plain error", &Error{Err: &Error{Err: plain}}, Unknown},
		{"Errorf with %w keeps its own kind", Errorf(Finding, "x: %w", invalid), Finding},
		{"Errorf Unknown with %w inherits", Errorf(Unknown, "x: %w", invalid), Invalid},
		{"join: Invalid beats all", errors.Join(finding, invalid, infra, plain), Invalid},
		{"join: Infrastructure beats Finding", errors.Join(finding, infra), Infrastructure},
		{"join: Infrastructure beats Finding, either order", errors.Join(infra, finding), Infrastructure},
		{"join: Finding beats Unknown", errors.Join(plain, finding), Finding},
		{"join of plain errors", errors.Join(plain, errors.New("other")), Unknown},
		{"join inside a wrap", Wrap("op", Unknown, errors.Join(finding, infra)), Infrastructure},
		{"join of wrapped kinds", errors.Join(fmt.Errorf("a: %w", finding), Wrap("b", Unknown, invalid)), Invalid},
		{"fmt with two %w is a join", fmt.Errorf("%w and %w", finding, infra), Infrastructure},
		{"join with one nil", errors.Join(nil, finding), Finding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestWorse(t *testing.T) {
	order := []Kind{Unknown, Finding, Infrastructure, Invalid} // least to most pressing
	for i, a := range order {
		for j, b := range order {
			want := a
			if j > i {
				want = b
			}
			if got := Worse(a, b); got != want {
				t.Errorf("Worse(%v, %v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestWrap(t *testing.T) {
	if err := Wrap("op", Invalid, nil); err != nil {
		t.Errorf("Wrap(nil) = %v, want nil", err)
	}
	if err := Wrap("op", Unknown, nil); err != nil {
		t.Errorf("Wrap(Unknown, nil) = %v, want nil", err)
	}

	inner := Errorf(Finding, "sentinel gone")
	plain := errors.New("boom")
	tests := []struct {
		name     string
		k        Kind
		err      error
		wantKind Kind // the *Error's own Kind field
		wantMsg  string
	}{
		{"Unknown keeps the inner kind", Unknown, inner, Finding, "check: sentinel gone"},
		{"a kind overrides the inner one", Infrastructure, inner, Infrastructure, "check: sentinel gone"},
		{"Unknown over a plain error", Unknown, plain, Unknown, "check: boom"},
		{"a kind on a plain error", Invalid, plain, Invalid, "check: boom"},
		{"Unknown keeps a kind through fmt", Unknown, fmt.Errorf("x: %w", inner), Finding, "check: x: sentinel gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Wrap("check", tt.k, tt.err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Wrap returned %T, want *Error", err)
			}
			if e.Kind != tt.wantKind {
				t.Errorf("Wrap kind = %v, want %v", e.Kind, tt.wantKind)
			}
			if KindOf(err) != tt.wantKind {
				t.Errorf("KindOf(Wrap) = %v, want %v", KindOf(err), tt.wantKind)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("Wrap message = %q, want %q", err.Error(), tt.wantMsg)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(Wrap(err), err) = false")
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"with op", &Error{Op: `read "/data/s1" in "app"`, Kind: Infrastructure, Err: errors.New("no such container")}, `read "/data/s1" in "app": no such container`},
		{"without op", &Error{Kind: Invalid, Err: errors.New("bad size")}, "bad size"},
		{"op only", &Error{Op: "clean up", Kind: Infrastructure}, "clean up"},
		{"nested ops", &Error{Op: "outer", Err: &Error{Op: "inner", Err: errors.New("cause")}}, "outer: inner: cause"},
		{"neither op nor cause", &Error{Kind: Invalid}, "invalid input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorfKeepsChain(t *testing.T) {
	cause := errors.New("cause")
	err := Errorf(Infrastructure, "engine: %w", cause)
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(Errorf(%%w cause), cause) = false")
	}
	if err.Error() != "engine: cause" {
		t.Errorf("Errorf message = %q, want %q", err.Error(), "engine: cause")
	}
	if KindOf(err) != Infrastructure {
		t.Errorf("KindOf(Errorf(Infrastructure)) = %v", KindOf(err))
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{Unknown, "unknown"},
		{Finding, "finding"},
		{Infrastructure, "infrastructure"},
		{Invalid, "invalid input"},
		{Kind(42), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.want)
		}
	}
}
