package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	commands = append(commands, command{
		name:    "version",
		usage:   "kiln version",
		summary: "print kiln's version, the Go version it was built with and its VCS revision",
		run:     runVersion,
	})
}

// runVersion prints "kiln VERSION (go VERSION, revision REV[+dirty], TIME)"
// from the build information the Go toolchain embeds.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return usageError(fs, "takes no arguments")
	}
	fmt.Fprintln(stdout, versionLine())
	return exitOK
}

// versionLine describes this binary. `go build` in a clone records the
// module version as "(devel)" and the commit in vcs.revision; `go test`
// binaries carry neither.
func versionLine() string {
	version, rev, when, dirty := "(unknown)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	line := fmt.Sprintf("kiln %s (%s", version, runtime.Version())
	if rev != "" {
		line += ", revision " + rev
		if dirty {
			line += "+dirty"
		}
	} else {
		line += ", revision unknown"
	}
	if when != "" {
		line += ", " + when
	}
	return line + ")"
}
