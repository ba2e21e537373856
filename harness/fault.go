package harness

import (
	"context"
	"fmt"
)

// Fault is a lifecycle event injected into a container: a kill, a stop, a
// removal, an upgrade. Inject returns once the fault is in effect, and the
// engine has been asked that the container is in the state the fault leaves.
type Fault interface {
	Inject(ctx context.Context, c *Container) error
	fmt.Stringer // what the fault does, as a verb phrase: "kill with SIGKILL"
}

// Reversible is a fault that can be undone, such as a pause.
type Reversible interface {
	Fault
	Undo(ctx context.Context, c *Container) error
}

// Repeat returns a fault that injects f n times in a row, stopping at the
// first error.
func Repeat(f Fault, n int) Fault { return repeat{f, n} }

type repeat struct {
	f Fault
	n int
}

func (r repeat) String() string { return fmt.Sprintf("%s %d times", r.f, r.n) }

func (r repeat) Inject(ctx context.Context, c *Container) error {
	for i := range r.n {
		if err := r.f.Inject(ctx, c); err != nil {
			return Wrap(fmt.Sprintf("round %d of %d", i+1, r.n), Unknown, err)
		}
	}
	return nil
}

// Sequence returns a fault that injects each of faults in turn.
func Sequence(faults ...Fault) Fault { return sequence(faults) }

type sequence []Fault

func (s sequence) String() string {
	out := ""
	for i, f := range s {
		if i > 0 {
			out += " and "
		}
		out += f.String()
	}
	return out
}

func (s sequence) Inject(ctx context.Context, c *Container) error {
	for _, f := range s {
		if err := f.Inject(ctx, c); err != nil {
			return Wrap(f.String(), Unknown, err)
		}
	}
	return nil
}
