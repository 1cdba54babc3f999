package plan

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/wharfdata/wharf/engine/expr"
)

// Explain prints a plan as an indented tree, planning each scan's files to
// report what partition and min/max pruning kept.
func Explain(ctx context.Context, n Node) (string, error) {
	var b strings.Builder
	if err := explain(newEstimator(ctx), &b, n, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func explain(est *estimator, b *strings.Builder, n Node, depth int) error {
	pad := strings.Repeat("  ", depth)
	switch n := n.(type) {
	case *Scan:
		fmt.Fprintf(b, "%sScan %s", pad, strings.Join(n.Ident, "."))
		cols := make([]string, len(n.Fields))
		for i, f := range n.Fields {
			cols[i] = f.Name
		}
		fmt.Fprintf(b, " columns=[%s]", strings.Join(cols, ", "))
		if n.Filter != nil {
			fmt.Fprintf(b, " filter=%s", n.Filter)
		}
		if n.SnapshotID != 0 {
			fmt.Fprintf(b, " snapshot=%d", n.SnapshotID)
		} else if !n.AsOf.IsZero() {
			fmt.Fprintf(b, " as-of=%s", n.AsOf.UTC().Format("2006-01-02 15:04:05.000"))
		}
		ps, err := est.plan(n)
		if err != nil {
			return err
		}
		st := ps.Stats
		fmt.Fprintf(b, " rows≈%s", estRows(est.rows(n)))
		fmt.Fprintf(b, "\n%s  files: %d of %d kept (%d skipped), bytes: %d of %d kept\n", pad, st.FilesKept, st.FilesTotal, st.FilesTotal-st.FilesKept, st.BytesKept, st.BytesTotal)
		return nil
	case *Values:
		fmt.Fprintf(b, "%sValues rows=%d\n", pad, len(n.Rows))
		return nil
	case *SourceScan:
		bounded := "unbounded"
		if n.Source.Bounded {
			bounded = "bounded"
		}
		fmt.Fprintf(b, "%sSourceScan %s connector=%s %s\n", pad, strings.Join(n.Ident, "."), n.Source.Spec.Options["connector"], bounded)
		return nil
	case *Filter:
		fmt.Fprintf(b, "%sFilter %s\n", pad, n.Cond)
	case *WindowTVF:
		fmt.Fprintf(b, "%sWindowTVF %s\n", pad, n)
	case *Project:
		parts := make([]string, len(n.Exprs))
		for i, e := range n.Exprs {
			parts[i] = e.String()
			if c, ok := e.(*expr.Column); !ok || c.Name != n.Names[i] {
				parts[i] += " AS " + n.Names[i]
			}
		}
		fmt.Fprintf(b, "%sProject %s\n", pad, strings.Join(parts, ", "))
	case *Sort:
		in := n.Input.Schema()
		parts := make([]string, len(n.Keys))
		for i, k := range n.Keys {
			parts[i] = in.Field(k.Column).Name
			if k.Descending {
				parts[i] += " DESC"
			}
			if k.NullsFirst {
				parts[i] += " NULLS FIRST"
			} else {
				parts[i] += " NULLS LAST"
			}
		}
		fmt.Fprintf(b, "%sSort %s\n", pad, strings.Join(parts, ", "))
	case *Limit:
		fmt.Fprintf(b, "%sLimit %d offset %d\n", pad, n.N, n.Offset)
	case *Aggregate:
		b.WriteString(pad + "Aggregate")
		if len(n.GroupBy) > 0 {
			keys := make([]string, len(n.GroupBy))
			for i, g := range n.GroupBy {
				keys[i] = g.String()
			}
			fmt.Fprintf(b, " group=[%s]", strings.Join(keys, ", "))
		}
		if len(n.Aggs) > 0 {
			aggs := make([]string, len(n.Aggs))
			for i := range n.Aggs {
				aggs[i] = n.Aggs[i].String()
			}
			fmt.Fprintf(b, " aggs=[%s]", strings.Join(aggs, ", "))
		}
		b.WriteString("\n")
	case *Join:
		kind := strings.ToLower(string(n.Kind))
		if n.Kind == JoinInner && len(n.LeftKeys) == 0 && n.Residual == nil {
			kind = "cross"
		}
		if n.Lookup {
			kind += " lookup"
		}
		fmt.Fprintf(b, "%sJoin %s", pad, kind)
		if len(n.LeftKeys) > 0 {
			keys := make([]string, len(n.LeftKeys))
			for i := range n.LeftKeys {
				keys[i] = n.LeftKeys[i].String() + " = " + n.RightKeys[i].String()
			}
			fmt.Fprintf(b, " keys=[%s]", strings.Join(keys, ", "))
		}
		if n.Residual != nil {
			fmt.Fprintf(b, " residual=%s", n.Residual)
		}
		fmt.Fprintf(b, " build=right rows≈%s\n", estRows(est.rows(n)))
	case *Union:
		fmt.Fprintf(b, "%sUnion all\n", pad)
	case *SingleRow:
		fmt.Fprintf(b, "%sSingleRow\n", pad)
	case *Repeat:
		fmt.Fprintf(b, "%sRepeat count=%s\n", pad, n.Input.Schema().Field(n.Input.Schema().NumFields()-1).Name)
	case *Window:
		fmt.Fprintf(b, "%s%s\n", pad, explainWindow(n))
	}
	for _, c := range n.Children() {
		if err := explain(est, b, c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// estRows prints a row estimate.
func estRows(r float64) string {
	if math.IsInf(r, 1) {
		return "∞"
	}
	return strconv.FormatFloat(math.Round(r), 'f', -1, 64)
}

func fieldNames(fs []arrow.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}
