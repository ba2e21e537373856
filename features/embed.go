// Package features holds the built-in feature files: what Docker keeps
// through each lifecycle event (docs/design.md), storage shared between
// containers, data written through links, images built from folders,
// commands and readiness. They are embedded in the persistcheck
// binary with the fixtures they build.
package features

import "embed"

// FS holds the feature files and their fixtures, at its root.
//
//go:embed *.feature fixtures
var FS embed.FS
