package testkit

import (
	"fmt"
	"net"
	"testing"
)

// FreeAddr returns a loopback address with a port that was free a moment ago,
// for servers that must be told their address rather than listen on :0.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("testkit: finding a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
