package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wharfdata/wharf/api"
)

// runLineage is `wharf lineage NAMESPACE.TABLE`: which job, version and
// source ranges produced each snapshot.
func runLineage(ctx context.Context, args []string, std stdio) error {
	c, ns, tbl, err := tableCommand("lineage", args, std)
	if err != nil {
		return err
	}
	resp, err := c.Lineage(ctx, ns, tbl)
	if err != nil {
		fmt.Fprintln(std.stderr, describeError(err, "", "", 0))
		return errReported
	}
	printLineage(std.stdout, resp)
	return nil
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
