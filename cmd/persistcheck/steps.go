package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/persistcheck/persistcheck/steps"
)

// stepsCmd prints the vocabulary, generated from the registered steps.
func stepsCmd(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("steps", flag.ContinueOnError)
	patterns := fset.Bool("v", false, "show the regular expression of each step")
	if _, code, ok := parse(fset, args, stderr); !ok {
		return code
	}
	group := ""
	for _, p := range steps.Vocabulary() {
		if p.Group != group {
			if group != "" {
				fmt.Fprintln(stdout)
			}
			group = p.Group
			fmt.Fprintf(stdout, "%s:\n", group)
		}
		fmt.Fprintf(stdout, "  %s\n", strings.ReplaceAll(p.Example, "\n", "\n  "))
		if *patterns {
			fmt.Fprintf(stdout, "      %s\n", p.Pattern)
		}
	}
	fmt.Fprintln(stdout, "\nEvery quoted argument expands ${VAR} and ${VAR:-default} from the environment; $${ is a literal ${.")
	return exitPassed
}
