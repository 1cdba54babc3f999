// Command wharf is the streaming warehouse: `wharf serve` runs everything in
// one process; `wharf sql` and `wharf verify` are clients of its HTTP API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/wharfdata/wharf/internal/redact"
)

// version is set at build time: -ldflags "-X main.version=v0.1.0".
var version = "dev"

// stdio is what a command reads and writes, so tests can run commands
// in-process.
type stdio struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

const usage = `wharf: a streaming warehouse.

Usage:
  wharf serve [flags]                       run the server (wharf serve -h for flags)
  wharf sql [flags] "STATEMENT" | -f FILE   run SQL against a server
  wharf verify [flags] NAMESPACE.TABLE      check a table's invariants
  wharf jobs [flags] [status|stop|resume ID] list or control continuous jobs
  wharf lineage [flags] NAMESPACE.TABLE     what produced each snapshot of a table
  wharf version                             print the version
`

// errUsage marks command-line mistakes: exit status 2, usage already shown.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit status.
func run(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], std)
	case "sql":
		err = runSQL(ctx, args[1:], std)
	case "verify":
		err = runVerify(ctx, args[1:], std)
	case "jobs":
		err = runJobs(ctx, args[1:], std)
	case "lineage":
		err = runLineage(ctx, args[1:], std)
	case "version", "--version", "-version":
		fmt.Fprintln(std.stdout, versionString())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(std.stdout, usage)
	default:
		fmt.Fprintf(std.stderr, "wharf: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		fmt.Fprintf(std.stderr, "wharf %s: %s\n", args[0], redact.String(err.Error()))
		return 1
	}
}

// errReported means the command already printed what went wrong.
var errReported = errors.New("reported")

func versionString() string {
	s := "wharf " + version + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range bi.Settings {
			if kv.Key == "vcs.revision" {
				s += " " + kv.Value
			}
		}
	}
	return s
}

// parseFlags parses args with fs, allowing flags after positional arguments
// (wharf sql "SELECT 1" --format csv), and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage // the flag package printed the problem and usage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// "--" ends flag parsing: everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
