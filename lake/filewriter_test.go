package lake_test

import (
	"context"
	"testing"

	"github.com/wharfdata/wharf/lake"
)

// TestFileWriterAbortAfterClose: a job aborts its epoch's writer on any
// failure, also after the writer closed (the commit failed); that must do
// nothing, not close a closed channel and take the server down.
func TestFileWriterAbortAfterClose(t *testing.T) {
	ctx := context.Background()
	wh := newWarehouse(t, false, "")
	tbl, err := wh.LoadTable(ctx, createEvents(t, wh))
	if err != nil {
		t.Fatal(err)
	}
	w := lake.NewFileWriter(tbl, arrowSchema)
	if err := w.Write(ctx, foreignBatch(0, 5)); err != nil {
		t.Fatal(err)
	}
	files, err := w.Close()
	if err != nil || len(files) != 1 || files[0].Count() != 5 {
		t.Fatalf("Close: %d files, %v", len(files), err)
	}
	w.Abort()
	if files, err := w.Close(); files != nil || err != nil {
		t.Fatalf("Close after Abort: %v, %v", files, err)
	}

	// Aborted mid-write, then aborted and closed again.
	w = lake.NewFileWriter(tbl, arrowSchema)
	if err := w.Write(ctx, foreignBatch(5, 5)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort()
	if files, err := w.Close(); files != nil || err != nil {
		t.Fatalf("Close after Abort: %v, %v", files, err)
	}
}
