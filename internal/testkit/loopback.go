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
// test starts. The port comes from below the kernel's ephemeral range, which the kernel never hands out on
// its own: a port it picked (bind to :0) could be taken again by any outgoing connection between this call
// and the server's bind, which made such tests flaky on a busy machine.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", reservedPortFloor+rand.IntN(low-reservedPortFloor))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatalf("no free loopback port in [%d, %d)", reservedPortFloor, low)
	return ""
}

// reservedPortFloor keeps clear of well-known and commonly configured service ports.
const reservedPortFloor = 20000

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default when unreadable).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var l, h int
		if n, _ := fmt.Sscan(string(b), &l, &h); n == 2 && l > reservedPortFloor+1000 {
			low = l
		}
	}
	return low
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
