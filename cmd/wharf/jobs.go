package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wharfdata/wharf/engine/runtime"
)

// runJobs is `wharf jobs [list] | status ID | stop ID | resume ID`.
func runJobs(ctx context.Context, args []string, std stdio) error {
	var cf clientFlags
	fs := flag.NewFlagSet("wharf jobs", flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: wharf jobs [flags] [list | status ID | stop ID | resume ID]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	c := cf.client(std)
	if len(pos) == 0 || (len(pos) == 1 && pos[0] == "list") {
		jobs, err := c.Jobs(ctx)
		if err != nil {
			fmt.Fprintln(std.stderr, describeError(err, "", "", 0))
			return errReported
		}
		printJobs(std.stdout, jobs)
		return nil
	}
	actions := map[string]string{"status": "", "stop": "stop", "resume": "resume"}
	action, ok := actions[pos[0]]
	if !ok || len(pos) != 2 {
		fs.Usage()
		return errUsage
	}
	st, err := c.Job(ctx, pos[1], action)
	if err != nil {
		fmt.Fprintln(std.stderr, describeError(err, "", "", 0))
		return errReported
	}
	printJobs(std.stdout, []runtime.Status{*st})
	return nil
}

// printJobs prints one line per job, then its SQL and source positions.
func printJobs(w io.Writer, jobs []runtime.Status) {
	if len(jobs) == 0 {
		fmt.Fprintln(w, "no jobs")
		return
	}
	for _, j := range jobs {
		last := "never"
		if j.LastCommit != nil {
			last = j.LastCommit.Local().Format(time.DateTime)
		}
		fmt.Fprintf(w, "%s  %-10s epoch %d (snapshot %d, %s)  rows in %d, out %d, restarts %d\n",
			j.ID, j.State, j.Epoch, j.Snapshot, last, j.RowsIn, j.RowsOut, j.Restarts)
		fmt.Fprintf(w, "  %s\n", strings.Join(strings.Fields(j.SQL), " "))
		keys := make([]string, 0, len(j.Positions))
		for k := range j.Positions {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s next %d\n", k, j.Positions[k])
		}
		if j.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", j.Error)
		}
	}
}
