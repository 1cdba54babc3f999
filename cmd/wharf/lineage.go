package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wharfdata/wharf/api"
)

// runLineage is `wharf lineage NAMESPACE.TABLE`: which job, version and
// source ranges produced each snapshot.
func runLineage(ctx context.Context, args []string, std stdio) error {
	var cf clientFlags
	fs := flag.NewFlagSet("wharf lineage", flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: wharf lineage [flags] NAMESPACE.TABLE")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	ns, tbl, ok := splitTableName(pos[0])
	if !ok {
		fmt.Fprintf(std.stderr, "wharf lineage: %q is not NAMESPACE.TABLE\n", pos[0])
		return errUsage
	}
	resp, err := cf.client(std).Lineage(ctx, ns, tbl)
	if err != nil {
		fmt.Fprintln(std.stderr, describeError(err, "", "", 0))
		return errReported
	}
	printLineage(std.stdout, resp)
	return nil
}

// splitTableName splits NAMESPACE.TABLE at its last dot.
func splitTableName(s string) (ns, table string, ok bool) {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 {
		return "", "", false
	}
	return s[:dot], s[dot+1:], true
}

func printLineage(w io.Writer, resp *api.LineageResponse) {
	if len(resp.Snapshots) == 0 {
		fmt.Fprintf(w, "%s: no snapshot written by a wharf job\n", resp.Table)
		return
	}
	for _, s := range resp.Snapshots {
		fmt.Fprintf(w, "snapshot %d  %s  job %s (version %s, generation %d) epoch %d\n",
			s.SnapshotID, time.UnixMilli(s.CommittedAtMs).UTC().Format(time.DateTime), s.Job, s.JobVersion, s.Generation, s.Epoch)
		for _, r := range s.Sources {
			fmt.Fprintf(w, "  %s [%d, %d)\n", r.Key(), r.From, r.To)
		}
	}
}
