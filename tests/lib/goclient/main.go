// goclient URL BODY [BODY...]: HTTPS POSTs with Go's own crypto/tls and
// net/http (HTTP/2 when the server offers it by ALPN, else HTTP/1.1),
// trusting SSL_CERT_FILE. One body: prints {"pid", "status", "proto"} or
// {"pid", "error"}. Several: all are posted at once, each from its own
// goroutine (so each on its own connection, and goroutines that block
// resume on whichever thread is free), and it prints {"pid", "results":
// [{"status"} or {"error"}, ... in the order of the bodies]}. Exit 0
// either way. Used by the e2e tests as the Go client (tests/lib/clients.sh,
// go_call).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

func post(client *http.Client, url, body string) map[string]interface{} {
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

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient URL BODY [BODY...]")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	bodies := os.Args[2:]
	var out map[string]interface{}
	if len(bodies) == 1 {
		out = post(client, os.Args[1], bodies[0])
	} else {
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
