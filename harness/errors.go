package harness

import (
	"errors"
	"fmt"
)

// Kind says who has to act on an error. Callers branch on the kind, never on
// the message.
type Kind uint8

const (
	// Unknown is an error of no declared kind, e.g. a panic.
	Unknown Kind = iota
	// Finding is an assertion about the system under test that did not hold:
	// data lost, corrupted, a command that failed. The harness worked.
	Finding
	// Infrastructure is a failure of the machinery around the test: engine
	// unreachable, image missing, a deadline passed.
	Infrastructure
	// Invalid is input the harness cannot act on: an unset variable, an
	// undeclared container, a malformed size or signal.
	Invalid
)

func (k Kind) String() string {
	switch k {
	case Finding:
		return "finding"
	case Infrastructure:
		return "infrastructure"
	case Invalid:
		return "invalid input"
	}
	return "unknown"
}

// Error is an error with a kind and the operation it happened in.
type Error struct {
	Op   string // what was being done, e.g. `read "/data/s1" in "app"`
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil && e.Op == "":
		return e.Kind.String()
	case e.Err == nil:
		return e.Op
	case e.Op == "":
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k whose cause is formatted like fmt.Errorf,
// so %w keeps the chain.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Wrap returns err with op in front of its message. The kind is k, or the
// kind err already has when k is Unknown. A nil err stays nil.
func Wrap(op string, k Kind, err error) error {
	if err == nil {
		return nil
	}
	if k == Unknown {
		k = KindOf(err)
	}
	return &Error{Op: op, Kind: k, Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain that has one.
// For errors joined by errors.Join it is the most pressing kind among them
// (see Worse).
func KindOf(err error) Kind {
	switch e := err.(type) {
	case nil:
		return Unknown
	case *Error:
		if e.Kind != Unknown {
			return e.Kind
		}
		return KindOf(e.Err)
	case interface{ Unwrap() []error }:
		worst := Unknown
		for _, err := range e.Unwrap() {
			worst = Worse(worst, KindOf(err))
		}
		return worst
	}
	return KindOf(errors.Unwrap(err))
}

// Worse returns the kind that decides an outcome when both happened: input
// must be fixed before infrastructure can be judged, and infrastructure before
// findings can be trusted.
func Worse(a, b Kind) Kind {
	rank := map[Kind]int{Unknown: 0, Finding: 1, Infrastructure: 2, Invalid: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Unsupported is the error of an event an engine does not have, such as a
// stop on Kubernetes. Closest names the steps that come closest, with %[1]q
// where the container's name goes; the scenario fills it in.
type Unsupported struct {
	Engine  string // "Kubernetes"
	Event   string // "stop"
	Why     string // what the engine does instead
	Closest string // e.g. `When I recreate the container %[1]q`
}

func (u *Unsupported) Error() string { return u.For("x") }

// For is the message for the container named name.
func (u *Unsupported) For(name string) string {
	return fmt.Sprintf("%s has no %s: %s; what comes closest: %s", u.Engine, u.Event, u.Why, fmt.Sprintf(u.Closest, name))
}

// NoEvent returns the Invalid error of an event an engine does not have.
func NoEvent(u Unsupported) error { return &Error{Kind: Invalid, Err: &u} }
