package sim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// A simulator is an http.Handler: serve it with httptest (or any
// http.Server) and point a Qualys client at its URL.
func Example() {
	opts := sim.DemoOptions()
	opts.Hosts = 20
	s, err := sim.New(opts)
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	req, _ := http.NewRequest("GET", ts.URL+"/api/2.0/fo/asset/host/?action=list&details=None&truncation_limit=5", nil)
	req.SetBasicAuth(sim.DefaultUsername, sim.DefaultPassword)
	req.Header.Set("X-Requested-With", "example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, strings.Count(string(body), "<ID>"), "IDs, more pages:", strings.Contains(string(body), "id_min="))

	// Move the clock a day: some hosts are rescanned, detections fixed,
	// re-opened and found, hosts and web apps added and retired.
	if err := s.Advance(24 * time.Hour); err != nil {
		panic(err)
	}
	fmt.Println("epoch", s.Epoch(), "clock", s.Now().Format(time.RFC3339))
	// Output:
	// 200 OK 5 IDs, more pages: true
	// epoch 1 clock 2026-03-03T09:00:00Z
}

// ParseFaults reads the --faults form of qgraph simulate.
func ExampleParseFaults() {
	spec, err := sim.ParseFaults("5xx:rate=0.05;reset:on=3,7:endpoint=detections;slow:delay=2s:rate=0.1")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(spec.Rules), spec)
	_, err = sim.ParseFaults("reset:rate=0.1:delay=1s")
	fmt.Println(err)
	// Output:
	// 3 5xx:rate=0.05:status=503;reset:on=3,7:endpoint=detections;slow:rate=0.1:delay=2s
	// fault rule 1 "reset:rate=0.1:delay=1s": delay applies only to slow and stall faults
}
