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
