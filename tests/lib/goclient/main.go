// goclient URL BODY: one HTTPS POST with Go's own crypto/tls and net/http
// (HTTP/2 when the server offers it by ALPN, else HTTP/1.1), trusting
// SSL_CERT_FILE. Prints {"status": N} or {"error": "..."}; exit 0 either way.
// Used by the e2e tests as the Go client (tests/lib/clients.sh, go_call).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient URL BODY")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(os.Args[1], "application/json", strings.NewReader(os.Args[2]))
	out := map[string]interface{}{"pid": os.Getpid()}
	if err != nil {
		out["error"] = err.Error()
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out["status"] = resp.StatusCode
		out["proto"] = resp.Proto
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
