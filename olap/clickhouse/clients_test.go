package clickhouse

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// These tests drive the native protocol with independent clients from
// Debian: clickhouse-client 18.16 (an old revision: legacy types, client-side
// parsing, LZ4 on by default) and python3-clickhouse-driver.

func requireBinary(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing: run scripts/ensure-debs.sh (it installs clickhouse-client and python3-clickhouse-driver)", path)
	}
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// connectQueries are what clients and tools send on connect or to browse.
var connectQueries = []struct{ query, want string }{
	{"SELECT 1", "1\n"},
	{"SELECT version()", Version + "\n"},
	{"SELECT timezone()", "UTC\n"},
	{"SELECT currentDatabase()", "default\n"},
	{"SHOW DATABASES", "shop\n"},
	{"SHOW TABLES FROM shop", "t\n"},
	{"DESCRIBE TABLE shop.t", "id\tInt64\t\t\t\t\t\n"},
	{"EXISTS TABLE shop.t", "1\n"},
	{"SELECT name FROM system.databases", "shop\n"},
	{"SELECT database, name FROM system.tables WHERE database = 'shop'", "shop\tt\n"},
	{"SELECT name, type FROM system.columns WHERE table = 't' AND name = 'id'", "id\tInt64\n"},
}

func TestClickHouseClient(t *testing.T) {
	const bin = "/usr/bin/clickhouse-client"
	requireBinary(t, bin)
	addr := startNative(t, newBackend(t))
	host, port, _ := net.SplitHostPort(addr)
	query := func(q string) (string, error) { return run(t, bin, "--host", host, "--port", port, "--query", q) }

	// ClickHouse 18 formats Decimal itself, with all scale digits.
	want := tsv(fixtureRows)
	want = strings.Replace(want, "\t12.3\t", "\t12.30\t", 1)
	want = strings.Replace(want, "\t-3\t", "\t-3.00\t", 1)
	if out, err := query(fixtureQuery); err != nil || out != want {
		t.Fatalf("%v\n%q\nwant\n%q", err, out, want)
	}
	for _, cq := range connectQueries {
		if out, err := query(cq.query); err != nil || !strings.HasPrefix(out, cq.want) {
			t.Errorf("%s: %v\n%q, want prefix %q", cq.query, err, out, cq.want)
		}
	}
	out, err := query("SELECT * FROM shop.nope")
	if err == nil || !strings.Contains(out, "Code: 60. DB::Exception") || !strings.Contains(out, "(UNKNOWN_TABLE)") {
		t.Fatalf("%v: %s", err, out)
	}
}

// pyFormat prints rows as TabSeparated, ClickHouse's way.
const pyFormat = `
import sys, datetime, decimal
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException
def text(v):
    if v is None: return '\\N'
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, datetime.datetime): return v.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, float): return repr(v)
    if isinstance(v, str):
        for a, b in (('\\', '\\\\'), ('\t', '\\t'), ('\n', '\\n'), ("'", "\\'")): v = v.replace(a, b)
        return v
    return str(v)
c = Client(host=sys.argv[1], port=int(sys.argv[2]))
for q in sys.argv[3:]:
    try:
        for row in c.execute(q):
            print('\t'.join(text(v) for v in row))
    except ServerException as e:
        print('error', e.code)
    print('--')
`

func TestPythonDriver(t *testing.T) {
	const bin = "/usr/bin/python3"
	requireBinary(t, bin)
	if out, err := run(t, bin, "-c", "import clickhouse_driver"); err != nil {
		t.Fatalf("python3-clickhouse-driver is missing: run scripts/ensure-debs.sh: %v %s", err, out)
	}
	addr := startNative(t, newBackend(t))
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-c", pyFormat, host, port, fixtureQuery, "SELECT * FROM shop.nope"}
	for _, cq := range connectQueries {
		args = append(args, cq.query)
	}
	out, err := run(t, bin, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	parts := strings.Split(out, "--\n")
	want := append([]string{tsv(fixtureRows), "error 60\n"}, make([]string, len(connectQueries))...)
	for i, cq := range connectQueries {
		want[i+2] = cq.want
	}
	if len(parts) != len(want)+1 {
		t.Fatalf("python driver printed\n%s", out)
	}
	for i, w := range want {
		if !strings.HasPrefix(parts[i], w) || i < 2 && parts[i] != w {
			t.Errorf("%s: python driver printed\n%q\nwant\n%q", args[i+3], parts[i], w)
		}
	}
}
