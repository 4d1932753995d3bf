// goclient URL BODY [BODY...]: HTTPS POSTs with Go's own crypto/tls and
// net/http (HTTP/2 when the server offers it by ALPN, else HTTP/1.1),
// trusting SSL_CERT_FILE. One body: prints {"pid", "status", "proto"} or
// {"pid", "error"}. Several: all are posted at once, each from its own
// goroutine (so each on its own connection, and goroutines that block
// resume on whichever thread is free), and it prints {"pid", "results":
// [{"status"} or {"error"}, ... in the order of the bodies]}. Exit 0
// either way. With GOCLIENT_RAW=1 each request is written by hand on a
// tls.Client whose handshake is left to its first Write (the goroutine
// blocks inside Write, after the probe, and may resume on another thread
// before the request's bytes are sent), HTTP/1.1, Connection: close.
// With GOCLIENT_STACK=N (and GOCLIENT_RAW=1) the one body is posted N
// times, one connection each, its Write called from a fresh goroutine at
// recursion depth 0..N-1: at some depth the goroutine's stack is just
// short of what Write's frame needs, so Write's stack check fails, the
// stack grows and Write runs again from its entry (the probe must not see
// one call twice); prints {"pid", "n", "ok"}.
// With GOCLIENT_REPEAT=N the one body is posted N times in a row on one
// keep-alive connection, printing {"pid", "n", "ok", "rps", "p50_us",
// "p99_us"} (bench/go.sh). Used by the e2e tests as the Go client (tests/lib/clients.sh,
// go_call).
package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rawPost: the request written in one (*tls.Conn).Write that also runs
// the handshake
func rawPost(target, body string, depth int) map[string]interface{} {
	out := map[string]interface{}{}
	u, err := url.Parse(target)
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(u.Hostname(), "443"), 10*time.Second)
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}})
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", u.RequestURI(), u.Host, len(body), body)
	if _, err := writeAt(tc, []byte(req), depth); err != nil {
		out["error"] = err.Error()
		return out
	}
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	out["status"] = resp.StatusCode
	out["proto"] = resp.Proto
	return out
}

// writeAt: tc.Write(b), from a fresh goroutine at recursion depth depth
// (>= 0), or from this one
func writeAt(tc *tls.Conn, b []byte, depth int) (n int, err error) {
	if depth < 0 {
		return tc.Write(b)
	}
	done := make(chan struct{})
	go func() {
		n, err = recurse(depth, tc, b)
		close(done)
	}()
	<-done
	return
}

//go:noinline
func recurse(d int, tc *tls.Conn, b []byte) (int, error) {
	if d == 0 {
		return tc.Write(b)
	}
	return recurse(d-1, tc, b)
}

func post(client *http.Client, url, body string) map[string]interface{} {
	if os.Getenv("GOCLIENT_RAW") == "1" {
		return rawPost(url, body, -1)
	}
	out := map[string]interface{}{}
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	out["status"] = resp.StatusCode
	out["proto"] = resp.Proto
	return out
}

// repeat: n sequential POSTs of body, latency percentiles
func repeat(client *http.Client, url, body string, n int) map[string]interface{} {
	lat := make([]time.Duration, 0, n)
	ok := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if r := post(client, url, body); r["status"] == 200 {
			ok++
		}
		lat = append(lat, time.Since(t0))
	}
	total := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return map[string]interface{}{
		"n": n, "ok": ok, "rps": float64(n) / total.Seconds(),
		"p50_us": lat[n/2].Microseconds(), "p99_us": lat[n*99/100].Microseconds(),
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient URL BODY [BODY...]")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	bodies := os.Args[2:]
	var out map[string]interface{}
	if n, _ := strconv.Atoi(os.Getenv("GOCLIENT_STACK")); n > 0 {
		ok := 0
		for d := 0; d < n; d++ {
			if r := rawPost(os.Args[1], bodies[0], d); r["status"] == 200 {
				ok++
			}
		}
		out = map[string]interface{}{"n": n, "ok": ok}
	} else if n, _ := strconv.Atoi(os.Getenv("GOCLIENT_REPEAT")); n > 0 {
		out = repeat(client, os.Args[1], bodies[0], n)
	} else if len(bodies) == 1 {
		out = post(client, os.Args[1], bodies[0])
	} else {
		// a connection per request: none is reused, so net/http never
		// retries a refused request on another one
		client.Transport = &http.Transport{DisableKeepAlives: true}
		results := make([]map[string]interface{}, len(bodies))
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func(i int, b string) {
				defer wg.Done()
				results[i] = post(client, os.Args[1], b)
			}(i, b)
		}
		wg.Wait()
		out = map[string]interface{}{"results": results}
	}
	out["pid"] = os.Getpid()
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
