package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"
)

// FreeLoopbackAddr is a loopback host:port nothing listens on (as of the call), for a server process a
// test starts. The port comes from outside the kernel's ephemeral range, which the kernel never hands out
// on its own: a port it picked (bind to :0) could be taken again by any outgoing connection between this
// call and the server's bind, which made such tests flaky on a busy machine.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	lo, hi := portsOutsideEphemeral()
	for range 100 {
		addr := "127.0.0.1:0"
		if hi > lo {
			addr = fmt.Sprintf("127.0.0.1:%d", lo+rand.IntN(hi-lo))
		}
		if l, err := net.Listen("tcp", addr); err == nil {
			defer l.Close()
			return l.Addr().String()
		}
	}
	t.Fatalf("no free loopback port in [%d, %d)", lo, hi)
	return ""
}

// portsOutsideEphemeral is a range [lo, hi) of at least a thousand ports clear of well-known service ports
// and of the kernel's ephemeral range (below it, else above it), or an empty one when there is none.
func portsOutsideEphemeral() (lo, hi int) {
	const floor, least = 20000, 1000
	ephLo, ephHi := 32768, 60999 // Linux's defaults
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var l, h int
		if n, _ := fmt.Sscan(string(b), &l, &h); n == 2 && l <= h {
			ephLo, ephHi = l, h
		}
	}
	switch {
	case ephLo-floor >= least:
		return floor, ephLo
	case 65536-(ephHi+1) >= least:
		return ephHi + 1, 65536
	}
	return 0, 0
}

// WaitListening waits, within the bound, until something accepts connections on addr; otherwise the
// test fails with what describe says (a server's log).
func WaitListening(t testing.TB, addr string, within time.Duration, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after %s: %v\n%s", addr, within, err, describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
