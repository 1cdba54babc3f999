package clickhouse

import (
	"net"
	"testing"
)

// TestPythonDriverTypes reads the nested and wide types (Map, named Tuple,
// FixedString, Decimal(30, 4), DateTime64(6)) through the python driver,
// which decodes the native columns ch-go cannot infer.
func TestPythonDriverTypes(t *testing.T) {
	const bin = "/usr/bin/python3"
	requireBinary(t, bin)
	host, port, _ := net.SplitHostPort(startNative(t, resultBackend{typesRecord(t)}))
	out, err := run(t, bin, "-c", `
import sys
from clickhouse_driver import Client
for row in Client(host=sys.argv[1], port=int(sys.argv[2])).execute('SELECT * FROM x'):
    print(repr(row))
`, host, port)
	const want = "([1, None, 3], {'k': 1}, (1, 'z'), Decimal('123.45'), Decimal('-1.5'), " +
		"datetime.datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=<UTC>), datetime.datetime(2026, 11, 21, 10, 0, tzinfo=<UTC>), 'abc', -5, 18446744073709551615)\n" +
		"([], {}, (2, None), Decimal('-99999999999999999999999999.9999'), None, " +
		"datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=<UTC>), datetime.datetime(1970, 1, 1, 0, 0, tzinfo=<UTC>), 'xyz', 127, 0)\n"
	if err != nil || out != want {
		t.Fatalf("%v\n%s\nwant\n%s", err, out, want)
	}
}
